"""Officials merge two citizen records of one person: `POST /api/v1/citizens/{id}/merge` and
`contact-center citizens merge`; the app's "my cases" and the agent console's history then show both."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError

from contact_center.citizens.models.merges import CitizenMerge
from contact_center.core.db.models import Citizen, Official
from contact_center.core.http.keys import UOW
from tests.conftest import TEST_SECRET, login
from tests.integration.test_agents_console import attended_chat
from tests.integration.test_citizen_app import verified_citizen
from tests.support import chat_clients
from tests.support.server import ServerProcess

Client = TestClient[Any, Any]
SUPERVISOR = "supervisor@demo.pasto.gov.co"
ADMIN = "admin@demo.pasto.gov.co"
AGENT = "agente1@demo.pasto.gov.co"
console = chat_clients.console
REASON = "Cédula CC 1085123456 verificada en ventanilla."


async def file_on_the_web(client: Client, document: str, subject: str) -> str:
    """A web PQRD by a citizen who gives a document number and a phone (claims that join nothing)."""
    body = {
        "type": "peticion",
        "subject": subject,
        "description": "Solicitud de prueba.",
        "citizen": {
            "name": "Ana Pérez",
            "document_type": "CC",
            "document_number": document,
            "phone": "+573001234567",
        },
        "anonymous": False,
        "data_consent": True,
        "notify_by_email": False,
        "priority_flags": [],
    }
    resp = await client.post("/api/v1/pqrd", json=body)
    assert resp.status == 201, await resp.text()
    radicado: str = (await resp.json())["radicado"]
    return radicado


async def citizen_of(client: Client, radicado: str) -> int:
    """The citizen record of a PQRD, as an administrator reads it."""
    headers = {"Authorization": f"Bearer {await login(client, ADMIN)}"}
    resp = await client.get(f"/api/v1/tickets/{radicado}", headers=headers)
    assert resp.status == 200, await resp.text()
    citizen_id: int = (await resp.json())["citizen_id"]
    return citizen_id


async def merge(client: Client, who: str, citizen_id: Any, body: Any, key: str | None = None) -> Any:
    """`who`: an official's e-mail (logs in) or a token (keys are scoped to the token)."""
    token = await login(client, who) if "@" in who else who
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return await client.post(f"/api/v1/citizens/{citizen_id}/merge", json=body, headers=headers)


async def pointers(client: Client) -> tuple[dict[int, int | None], int]:
    """Every citizen's `merged_into_id`, and how many merges are recorded."""
    async with client.app[UOW]() as uow:
        rows = (await uow.session.execute(select(Citizen.id, Citizen.merged_into_id))).all()
        merges = await uow.session.scalar(select(func.count()).select_from(CitizenMerge))
    return {citizen_id: into for citizen_id, into in rows}, merges or 0


async def merge_records(client: Client) -> tuple[list[tuple[Any, ...]], int | None]:
    """The recorded merges (citizen, into, requested, actor kind, actor, via, reason, id), and the
    demo supervisor's id."""
    async with client.app[UOW]() as uow:
        rows = (await uow.session.scalars(select(CitizenMerge).order_by(CitizenMerge.id))).all()
        supervisor = await uow.session.scalar(select(Official.id).where(Official.email == SUPERVISOR))
        found = [
            (r.citizen_id, r.into_id, r.requested_into_id, r.actor_kind, r.actor_id, r.via, r.reason, r.id)
            for r in rows
        ]
    return found, supervisor


async def radicados_in_the_app(client: Client, app_headers: dict[str, str]) -> set[str]:
    resp = await client.get("/api/v1/app/cases", headers=app_headers)
    assert resp.status == 200, await resp.text()
    return {t["radicado"] for t in (await resp.json())["tickets"]}


async def test_a_supervisor_merges_a_duplicate_and_the_app_shows_both_histories(
    seeded: Client, backend: str
) -> None:
    app = await verified_citizen(seeded, "ana@example.co")
    resp = await seeded.post(
        "/api/v1/app/pqrd",
        json={"type": "peticion", "subject": "Desde la app", "description": "Hueco en la vía."},
        headers=app,
    )
    assert resp.status == 201, await resp.text()
    from_app = (await resp.json())["radicado"]
    on_the_web = await file_on_the_web(seeded, "1085123456", "Desde el portal")
    survivor, duplicate = await citizen_of(seeded, from_app), await citizen_of(seeded, on_the_web)
    assert survivor != duplicate
    assert await radicados_in_the_app(seeded, app) == {from_app}  # a document joins nothing by itself

    body = {"into": survivor, "reason": REASON}
    token = await login(seeded, SUPERVISOR)
    resp = await merge(seeded, token, duplicate, body, key="merge-1")
    assert resp.status == 200, await resp.text()
    merged = await resp.json()
    assert merged["citizen_id"] == duplicate and merged["into"] == survivor
    assert merged["requested_into"] == survivor and merged["citizen_ids"] == sorted([survivor, duplicate])
    assert merged["reason"] == REASON
    assert await radicados_in_the_app(seeded, app) == {from_app, on_the_web}

    again = await merge(seeded, token, duplicate, body, key="merge-1")
    assert again.status == 200 and again.headers.get("Idempotent-Replayed") == "true"
    assert await again.json() == merged
    records, supervisor = await merge_records(seeded)
    assert records == [
        (duplicate, survivor, survivor, "official", supervisor, "api", REASON, merged["merge_id"])
    ]
    assert merged["merged_by"] == supervisor

    without_key = await merge(seeded, SUPERVISOR, duplicate, body)
    assert without_key.status == 409
    assert (await without_key.json())["error"]["code"] == "citizen_already_merged"


async def test_an_app_account_merged_into_a_web_record_sees_both(seeded: Client, backend: str) -> None:
    app = await verified_citizen(seeded, "luis@example.co")
    resp = await seeded.post(
        "/api/v1/app/pqrd",
        json={"type": "queja", "subject": "Desde la app", "description": "Mala atención."},
        headers=app,
    )
    from_app = (await resp.json())["radicado"]
    on_the_web = await file_on_the_web(seeded, "98765432", "Desde el portal")
    account_record = await citizen_of(seeded, from_app)
    resp = await merge(
        seeded, ADMIN, account_record, {"into": await citizen_of(seeded, on_the_web), "reason": "x"}
    )
    assert resp.status == 200, await resp.text()
    assert await radicados_in_the_app(seeded, app) == {from_app, on_the_web}


async def test_refusals_are_clear_and_change_nothing(seeded: Client, backend: str) -> None:
    a, b, c = [
        await citizen_of(seeded, await file_on_the_web(seeded, f"1000{n}", f"Caso {n}")) for n in "123"
    ]
    resp = await merge(seeded, SUPERVISOR, b, {"into": a, "reason": REASON})
    assert resp.status == 200, await resp.text()
    before = await pointers(seeded)
    assert before[0][b] == a and before[1] == 1

    refusals: list[tuple[str, Any, Any, int, str]] = [
        (AGENT, c, {"into": a, "reason": REASON}, 403, "role_required"),
        (SUPERVISOR, c, {"into": c, "reason": REASON}, 400, "merge_into_self"),
        (SUPERVISOR, 999_999, {"into": a, "reason": REASON}, 404, "not_found"),
        (SUPERVISOR, 2**40, {"into": a, "reason": REASON}, 404, "not_found"),
        (SUPERVISOR, c, {"into": 999_999, "reason": REASON}, 404, "not_found"),
        (SUPERVISOR, c, {"into": 0, "reason": REASON}, 400, "validation_error"),
        (SUPERVISOR, c, {"into": a}, 400, "validation_error"),
        (SUPERVISOR, c, {"into": a, "reason": "   "}, 400, "reason_required"),
        (SUPERVISOR, c, {"into": a, "reason": REASON, "force": True}, 400, "validation_error"),
        (SUPERVISOR, c, [a], 400, "validation_error"),
        (SUPERVISOR, b, {"into": c, "reason": REASON}, 409, "citizen_already_merged"),
        (SUPERVISOR, a, {"into": b, "reason": REASON}, 409, "merge_cycle"),
    ]
    for email, citizen_id, body, status, code in refusals:
        resp = await merge(seeded, email, citizen_id, body)
        answer = await resp.json()
        assert (resp.status, answer["error"]["code"]) == (status, code), (citizen_id, body, answer)
        assert answer["error"]["message"]  # in Spanish, for people
    seeded.session.cookie_jar.clear()  # the logins above left the session cookie
    no_token = await seeded.post(f"/api/v1/citizens/{c}/merge", json={"into": a, "reason": REASON})
    assert no_token.status == 401
    not_an_id = await merge(seeded, SUPERVISOR, "abc", {"into": a, "reason": REASON})
    assert not_an_id.status == 404
    assert await pointers(seeded) == before

    # A target that was merged itself leads to its survivor: c joins a (b's survivor), not b.
    resp = await merge(seeded, ADMIN, c, {"into": b, "reason": REASON})
    assert resp.status == 200, await resp.text()
    joined = await resp.json()
    assert (joined["into"], joined["requested_into"]) == (a, b)
    assert joined["citizen_ids"] == sorted([a, b, c])


async def test_a_chain_broken_by_hand_is_refused_and_the_record_is_append_only(
    seeded: Client, backend: str
) -> None:
    x, y, z = [
        await citizen_of(seeded, await file_on_the_web(seeded, f"2000{n}", f"Caso {n}")) for n in "123"
    ]
    async with seeded.app[UOW]() as uow:  # a loop typed into the database by hand
        await uow.session.execute(update(Citizen).where(Citizen.id == x).values(merged_into_id=y))
        await uow.session.execute(update(Citizen).where(Citizen.id == y).values(merged_into_id=x))
        await uow.commit()
    resp = await merge(seeded, SUPERVISOR, z, {"into": x, "reason": REASON})
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "merge_chain_broken"
    async with seeded.app[UOW]() as uow:
        await uow.session.execute(update(Citizen).where(Citizen.id.in_([x, y])).values(merged_into_id=None))
        await uow.commit()
    assert (await merge(seeded, SUPERVISOR, z, {"into": x, "reason": REASON})).status == 200
    for statement in ("UPDATE citizen_merges SET reason = 'otro'", "DELETE FROM citizen_merges"):
        async with seeded.app[UOW]() as uow:
            with pytest.raises(DBAPIError, match="append-only"):
                await uow.session.execute(text(statement))


async def test_the_openapi_document_declares_the_merge_route(client: Client) -> None:
    doc = await (await client.get("/api/v1/openapi.json")).json()
    op = doc["paths"]["/api/v1/citizens/{citizen_id}/merge"]["post"]
    assert op["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/CitizenMergeIn")
    assert op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/CitizenMergeOut"
    )
    assert {"400", "401", "403", "404", "409"} <= set(op["responses"])
    assert "Idempotency-Key" in [p["name"] for p in op["parameters"]]
    assert set(doc["components"]["schemas"]["CitizenMergeIn"]["required"]) == {"into", "reason"}


async def test_the_console_history_shows_both_records_after_a_merge(backend: str, console: Client) -> None:
    official, _, started, accepted = await attended_chat(console)
    chat_record = accepted["history"]["citizen"]["id"]
    on_the_web = await file_on_the_web(console, "1085123456", "Poda de un árbol")
    assert on_the_web not in [t["radicado"] for t in accepted["history"]["tickets"]]
    web_record = await citizen_of(console, on_the_web)
    resp = await merge(console, SUPERVISOR, chat_record, {"into": web_record, "reason": REASON})
    assert resp.status == 200, await resp.text()

    opened = await official.call("open", {"conversation_id": started["conversation_id"]})
    assert opened["ok"], opened
    history = opened["history"]
    assert history["citizen"]["id"] == web_record
    assert history["citizen"]["record_ids"] == sorted([web_record, chat_record])
    assert [t["radicado"] for t in history["tickets"]] == [on_the_web]
    assert started["conversation_id"] in [c["id"] for c in history["conversations"]]


async def test_the_cli_merges_with_the_same_rules(
    seeded: Client, backend: str, database_url: str, tmp_path: Path
) -> None:
    a, b, c = [
        await citizen_of(seeded, await file_on_the_web(seeded, f"3000{n}", f"Caso {n}")) for n in "123"
    ]
    env = {"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path / "var"), "SECRET_KEY": TEST_SECRET}
    cli = ServerProcess({**env, "REDIS_URL": "", "LOG_LEVEL": "WARNING"})

    async def run(*args: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(cli.run_cli, "citizens", "merge", *args)

    done = await run(str(b), "--into", str(a), "--reason", REASON, "--official", SUPERVISOR)
    assert done.returncode == 0, done.stderr
    merged = json.loads(done.stdout)
    assert (merged["citizen_id"], merged["into"], merged["citizen_ids"]) == (b, a, sorted([a, b]))
    before = await pointers(seeded)

    refusals = [
        ((str(c), "--into", str(a), "--reason", REASON, "--official", AGENT), 1, "role_required"),
        ((str(c), "--into", str(a), "--reason", REASON, "--official", "nadie@x.co"), 1, "official_not_found"),
        ((str(c), "--into", str(c), "--reason", REASON), 1, "merge_into_self"),
        (("999999", "--into", str(a), "--reason", REASON), 1, "citizen_not_found"),
        ((str(a), "--into", str(b), "--reason", REASON), 1, "merge_cycle"),
        ((str(c), "--into", str(a)), 2, "--reason"),
        ((str(c), "--into", "uno", "--reason", REASON), 2, "--into"),
    ]
    for args, code, said in refusals:
        result = await run(*args)
        assert (result.returncode, said in result.stderr) == (code, True), (args, result.stderr)
    assert await pointers(seeded) == before

    done = await run(str(c), "--into", str(b), "--reason", "Mismo documento.")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["into"] == a  # b was merged into a: c follows it there
    records, supervisor = await merge_records(seeded)
    assert [r[:6] for r in records] == [
        (b, a, a, "official", supervisor, "cli"),
        (c, a, b, "system", None, "cli"),
    ]


async def test_two_opposite_merges_at_once_never_make_a_cycle(seeded: Client, backend: str) -> None:
    supervisor, admin = await login(seeded, SUPERVISOR), await login(seeded, ADMIN)
    for round_ in range(3):
        a, b = [
            await citizen_of(seeded, await file_on_the_web(seeded, f"4{round_}00{n}", f"Caso {n}"))
            for n in "12"
        ]
        both = await asyncio.gather(
            merge(seeded, supervisor, a, {"into": b, "reason": REASON}),
            merge(seeded, admin, b, {"into": a, "reason": REASON}),
        )
        answers = sorted([(r.status, (await r.json()).get("error", {}).get("code")) for r in both])
        assert answers in (
            [(200, None), (409, "merge_cycle")],
            [(200, None), (409, "citizen_already_merged")],
        )
        found, _ = await pointers(seeded)
        assert [found[a], found[b]].count(None) == 1
