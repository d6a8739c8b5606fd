"""Citizens file PQRDs through the API and follow them with the access code; bad input changes nothing."""

from __future__ import annotations

import copy
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from contact_center.citizens.domain import PRIVACY_NOTICE_VERSION
from contact_center.core.db.models import CitizenIdentity, DataConsent, Ticket
from contact_center.core.http.keys import UOW

FILING: dict[str, Any] = {
    "type": "peticion",
    "subject": "Hueco en la carrera 27",
    "description": "Hay un hueco profundo frente al número 15-30 que ya causó dos accidentes.",
    "dependencia": None,
    "citizen": {
        "name": "Ana Pérez",
        "document_type": "CC",
        "document_number": "1085123456",
        "email": "ana@example.co",
        "phone": "3001234567",
    },
    "anonymous": False,
    "data_consent": True,
    "notify_by_email": True,
    "priority_flags": [],
}


def filing(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(FILING)
    body.update(changes)
    return body


async def count(client: TestClient[Any, Any], model: Any) -> int:
    async with client.app[UOW]() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


async def test_filing_returns_radicado_access_code_and_due_date(
    seeded: TestClient[Any, Any], backend: str
) -> None:
    resp = await seeded.post("/api/v1/pqrd", json=FILING)
    assert resp.status == 201, await resp.text()
    body = await resp.json()
    assert set(body) == {"radicado", "access_code", "filed_at", "due_date", "status"}
    assert body["radicado"] == "2026000001" and body["status"] == "radicado"
    assert body["due_date"] == "2026-12-15"  # 15 business days after Monday 23 Nov 2026 (8 Dec is a holiday)
    async with seeded.app[UOW]() as uow:
        consent = (await uow.session.scalars(select(DataConsent))).one()
        assert consent.notice_version == PRIVACY_NOTICE_VERSION and consent.channel == "web"
        kinds = {(i.kind, i.value) for i in (await uow.session.scalars(select(CitizenIdentity))).all()}
    assert kinds == {("document", "CC:1085123456"), ("email", "ana@example.co"), ("phone", "+573001234567")}


async def test_status_shows_public_history_with_the_access_code(seeded: TestClient[Any, Any]) -> None:
    filed = await (await seeded.post("/api/v1/pqrd", json=FILING)).json()
    resp = await seeded.get(f"/api/v1/pqrd/{filed['radicado']}", params={"access_code": filed["access_code"]})
    assert resp.status == 200
    status = await resp.json()
    assert status["status"] == "radicado" and status["due_date"] == filed["due_date"]
    assert status["dependencia"] == "Oficina de Atención al Ciudadano"  # the triage dependencia
    assert [h["kind"] for h in status["history"]] == ["filed", "acknowledged"]
    lower = filed["access_code"].lower()
    again = await seeded.get(f"/api/v1/pqrd/{filed['radicado']}", params={"access_code": lower})
    assert again.status == 200


async def test_the_typed_email_joins_one_history_a_document_alone_does_not(
    seeded: TestClient[Any, Any],
) -> None:
    await seeded.post("/api/v1/pqrd", json=FILING)
    same_email = filing(citizen={"name": "Ana", "email": "ANA@example.co"})
    assert (await seeded.post("/api/v1/pqrd", json=same_email)).status == 201
    # Somebody typing Ana's cédula with another address is a claim: it joins nothing of hers.
    same_document = filing(
        citizen={**FILING["citizen"], "document_number": "1.085.123.456", "email": "otro@x.co"}
    )
    assert (await seeded.post("/api/v1/pqrd", json=same_document)).status == 201
    async with seeded.app[UOW]() as uow:
        owners = [t.citizen_id for t in (await uow.session.scalars(select(Ticket).order_by(Ticket.id))).all()]
        holders = {
            (i.kind, i.value): i.citizen_id
            for i in (await uow.session.scalars(select(CitizenIdentity))).all()
        }
    assert owners[0] == owners[1] and owners[2] not in (None, owners[0])
    assert holders[("document", "CC:1085123456")] == owners[0]  # the first claim keeps the value
    assert holders[("email", "otro@x.co")] == owners[2]


async def test_anonymous_filing_needs_no_citizen_nor_consent(seeded: TestClient[Any, Any]) -> None:
    body = filing(citizen=None, anonymous=True, data_consent=False, notify_by_email=False, type="denuncia")
    resp = await seeded.post("/api/v1/pqrd", json=body)
    assert resp.status == 201, await resp.text()
    async with seeded.app[UOW]() as uow:
        ticket = (await uow.session.scalars(select(Ticket))).one()
        assert ticket.anonymous and ticket.citizen_id is None and ticket.pqrd_type == "denuncia"


BAD_INPUTS: list[tuple[str, Any, int, str]] = [
    ("missing consent", filing(data_consent=False), 400, "consent_required"),
    ("no citizen, not anonymous", filing(citizen=None), 400, "citizen_required"),
    ("unknown type", filing(type="tutela"), 400, "unknown_pqrd_type"),
    ("unknown dependencia", filing(dependencia="marte"), 400, "unknown_dependencia"),
    ("1 MB description", filing(description="x" * 1_000_000), 400, "validation_error"),
    ("long subject", filing(subject="s" * 301), 400, "validation_error"),
    ("bad e-mail", filing(citizen={**FILING["citizen"], "email": "no-es-correo"}), 400, "invalid_email"),
    ("bad phone", filing(citizen={**FILING["citizen"], "phone": "12"}), 400, "invalid_phone"),
    (
        "bad document",
        filing(citizen={**FILING["citizen"], "document_type": "XX"}),
        400,
        "invalid_document_type",
    ),
    ("notify without e-mail", filing(citizen={"name": "Ana"}), 400, "email_required"),
    ("unknown flag", filing(priority_flags=["vip"]), 400, "validation_error"),
    ("extra field", filing(admin=True), 400, "validation_error"),
    ("a list body", [FILING], 400, "validation_error"),
]


async def test_bad_input_gets_a_clear_4xx_and_files_nothing(
    seeded: TestClient[Any, Any], backend: str
) -> None:
    for label, body, status, code in BAD_INPUTS:
        resp = await seeded.post("/api/v1/pqrd", json=body)
        assert resp.status == status, (label, await resp.text())
        error = (await resp.json())["error"]
        assert error["code"] == code and error["message"], label
    malformed = await seeded.post(
        "/api/v1/pqrd", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert malformed.status == 400 and (await malformed.json())["error"]["code"] == "invalid_json"
    assert await count(seeded, Ticket) == 0


async def test_html_and_script_are_stored_as_text_and_returned_escaped_in_json(
    seeded: TestClient[Any, Any],
) -> None:
    script = "<script>alert('x')</script><img src=x onerror=alert(1)>"
    body = filing(subject=script, description=script, citizen={**FILING["citizen"], "name": script})
    resp = await seeded.post("/api/v1/pqrd", json=body)
    assert resp.status == 201
    filed = await resp.json()
    status = await seeded.get(
        f"/api/v1/pqrd/{filed['radicado']}", params={"access_code": filed["access_code"]}
    )
    assert status.content_type == "application/json"
    assert (await status.json())["subject"] == script  # kept verbatim, as data, never as markup


async def test_wrong_codes_and_unknown_radicados_look_the_same_then_are_rate_limited(
    seeded: TestClient[Any, Any],
) -> None:
    filed = await (await seeded.post("/api/v1/pqrd", json=FILING)).json()
    url = f"/api/v1/pqrd/{filed['radicado']}"
    wrong = await seeded.get(url, params={"access_code": "ZZZZZZZZ"})
    unknown = await seeded.get("/api/v1/pqrd/2026999999", params={"access_code": filed["access_code"]})
    garbage = await seeded.get("/api/v1/pqrd/abc", params={"access_code": "x"})
    assert wrong.status == unknown.status == garbage.status == 404
    assert await wrong.json() == await unknown.json()
    # Not a radicado's shape (digits only): the route does not match, a plain 404 with the same code.
    assert (await garbage.json())["error"]["code"] == (await wrong.json())["error"]["code"]
    for _ in range(8):  # ten failures from this client in all (the garbage one never reached the handler)
        assert (await seeded.get(url, params={"access_code": "ZZZZZZZZ"})).status == 404
    limited = await seeded.get(url, params={"access_code": filed["access_code"]})
    assert limited.status == 429 and (await limited.json())["error"]["code"] == "rate_limited"


async def test_the_rate_limit_is_shared_through_redis_when_configured(
    make_client: Any, make_settings: Any, redis_namespace: str
) -> None:
    from tests.support.services import REDIS_URL

    settings = make_settings(redis_url=REDIS_URL, redis_namespace=redis_namespace, jobs="inline")
    first, second = await make_client(settings), await make_client(settings)
    for client in (first, second):
        for _ in range(5):
            assert (await client.get("/api/v1/pqrd/2026000001", params={"access_code": "NOPE"})).status == 404
    resp = await first.get("/api/v1/pqrd/2026000001", params={"access_code": "NOPE"})
    assert resp.status == 429  # ten failures across two processes' worth of apps
