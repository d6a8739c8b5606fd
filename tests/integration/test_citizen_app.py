"""The mobile-app API: an account, the citizen's cases on every channel, replies, files and polling."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import FormData
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from contact_center.core.clock import FakeClock
from contact_center.core.db.models import Conversation, Official, Ticket
from contact_center.core.http.keys import UOW
from contact_center.outbound.models import OutboundMessage
from contact_center.pqrd.services import actions, tickets
from contact_center.pqrd.services.tickets import Actor
from tests.conftest import login as official_login

Client = TestClient[Any, Any]
ANA = {"email": "ana@example.co", "document_type": "CC", "document_number": "1085123456"}
PDF = b"%PDF-1.4\n%%EOF\n"


async def file_on_the_web(client: Client) -> str:
    body = {
        "type": "peticion",
        "subject": "Poda de un árbol",
        "description": "El árbol frente a mi casa está por caerse.",
        "citizen": {"name": "Ana Pérez", **ANA, "phone": "+573001234567"},
        "anonymous": False,
        "data_consent": True,
        "notify_by_email": False,
        "priority_flags": [],
    }
    resp = await client.post("/api/v1/pqrd", json=body)
    assert resp.status == 201, await resp.text()
    radicado: str = (await resp.json())["radicado"]
    return radicado


async def sign_up(client: Client, email: str, **extra: str) -> None:
    body = {"email": email, "password": "clave-segura-1", "name": "Ana Pérez", "data_consent": True, **extra}
    resp = await client.post("/api/v1/app/register", json=body)
    assert resp.status == 201, await resp.text()
    assert (await resp.json())["status"] == "verification_sent"


async def verification_token(client: Client, email: str) -> str:
    async with client.app[UOW]() as uow:
        message = (
            await uow.session.scalars(select(OutboundMessage).where(OutboundMessage.to == email))
        ).one()
        found = re.search(r"\n    (\S+)\n", message.body)
    assert found, "the verification e-mail carries the code"
    return found.group(1)


async def app_login(client: Client, email: str) -> dict[str, str]:
    resp = await client.post("/api/v1/app/login", json={"email": email, "password": "clave-segura-1"})
    assert resp.status == 200, await resp.text()
    return {"Authorization": f"Bearer {(await resp.json())['token']}"}


async def verified_citizen(client: Client, email: str, **extra: str) -> dict[str, str]:
    await sign_up(client, email, **extra)
    resp = await client.post(
        "/api/v1/app/verify-email", json={"token": await verification_token(client, email)}
    )
    assert resp.status == 200, await resp.text()
    return await app_login(client, email)


async def ask_for_more_information(client: Client, radicado: str) -> None:
    """An official takes the PQRD and asks the citizen to complete it (art. 17)."""
    async with client.app[UOW]() as uow:
        ticket = await tickets.ticket_by_radicado(uow, radicado, for_update=True)
        official = (
            await uow.session.scalars(select(Official).where(Official.email == "agente1@demo.pasto.gov.co"))
        ).one()
        actor = Actor("official", official.id)
        await actions.assign(uow, ticket, official.id, actor)
        await actions.start_work(uow, ticket, actor)
        await actions.request_completion(uow, ticket, actor, reason="Adjunte una foto del árbol.")
        await uow.commit()


async def a_phone_call_of(client: Client, radicado: str) -> None:
    async with client.app[UOW]() as uow:
        ticket = await tickets.ticket_by_radicado(uow, radicado)
        uow.session.add(
            Conversation(
                channel="voice",
                external_id="CA-195-0001",
                state="closed",
                citizen_id=ticket.citizen_id,
                topic="Consulta por la poda",
                started_at=uow.clock.now(),
            )
        )
        await uow.commit()


async def test_an_unverified_account_cannot_log_in_and_a_bad_code_verifies_nothing(seeded: Client) -> None:
    await sign_up(seeded, "nuevo@example.co")
    resp = await seeded.post(
        "/api/v1/app/login", json={"email": "nuevo@example.co", "password": "clave-segura-1"}
    )
    assert resp.status == 403 and (await resp.json())["error"]["code"] == "email_not_verified"
    bad = await seeded.post("/api/v1/app/verify-email", json={"token": "not-the-code-at-all"})
    assert bad.status == 400 and (await bad.json())["error"]["code"] == "invalid_verification"
    again = await seeded.post(
        "/api/v1/app/register",
        json={
            "email": "NUEVO@example.co",
            "password": "otra-clave-2",
            "name": "Otra persona",
            "data_consent": True,
        },
    )
    assert again.status == 409 and (await again.json())["error"]["code"] == "email_registered"


async def test_my_cases_show_web_and_phone_cases_and_a_reply_resumes_the_clock(
    seeded: Client, clock: FakeClock
) -> None:
    radicado = await file_on_the_web(seeded)
    await a_phone_call_of(seeded, radicado)
    me = await verified_citizen(seeded, ANA["email"], document_type="CC", document_number="1085123456")

    cases = await (await seeded.get("/api/v1/app/cases", headers=me)).json()
    assert [t["radicado"] for t in cases["tickets"]] == [radicado]
    assert [c["channel"] for c in cases["conversations"]] == ["voice"]
    case_id = cases["tickets"][0]["id"]

    not_waiting = await seeded.post(f"/api/v1/app/cases/{case_id}/reply", json={"text": "Hola"}, headers=me)
    assert not_waiting.status == 409 and (await not_waiting.json())["error"]["code"] == "not_awaiting_citizen"

    await ask_for_more_information(seeded, radicado)
    waiting = await (await seeded.get(f"/api/v1/app/cases/{case_id}", headers=me)).json()
    assert waiting["ticket"]["status"] == "suspendido" and waiting["ticket"]["awaiting_citizen"]
    assert any(h["note"] == "Adjunte una foto del árbol." for h in waiting["history"])

    clock.advance(days=7)  # a week with the clock stopped
    reply = await seeded.post(
        f"/api/v1/app/cases/{case_id}/reply",
        json={"text": "Adjunto la foto."},
        headers={**me, "Idempotency-Key": "reply-1"},
    )
    answered = await reply.json()
    assert reply.status == 200, answered
    assert answered["ticket"]["status"] == "en_tramite"
    assert answered["ticket"]["due_date"] > waiting["ticket"]["due_date"]
    retry = await seeded.post(
        f"/api/v1/app/cases/{case_id}/reply",
        json={"text": "Adjunto la foto."},
        headers={**me, "Idempotency-Key": "reply-1"},
    )
    assert retry.status == 200 and retry.headers.get("Idempotent-Replayed") == "true"


async def test_polling_with_the_etag_gets_304_until_a_case_changes(seeded: Client) -> None:
    await file_on_the_web(seeded)
    me = await verified_citizen(seeded, ANA["email"], document_type="CC", document_number="1085123456")
    first = await seeded.get("/api/v1/app/cases", headers=me)
    etag = first.headers["ETag"]
    same = await seeded.get("/api/v1/app/cases", headers={**me, "If-None-Match": etag})
    assert same.status == 304 and same.headers["ETag"] == etag
    case_id = (await first.json())["tickets"][0]["id"]
    form = FormData()
    form.add_field("files", PDF, filename="foto.pdf", content_type="application/pdf")
    added = await seeded.post(f"/api/v1/app/cases/{case_id}/attachments", data=form, headers=me)
    assert added.status == 201, await added.text()
    assert (await added.json())["attachments"] == ["foto.pdf"]
    changed = await seeded.get("/api/v1/app/cases", headers={**me, "If-None-Match": etag})
    assert changed.status == 200 and changed.headers["ETag"] != etag


async def test_a_citizen_never_sees_or_touches_another_citizens_case(seeded: Client) -> None:
    await file_on_the_web(seeded)
    ana = await verified_citizen(seeded, ANA["email"], document_type="CC", document_number="1085123456")
    case_id = (await (await seeded.get("/api/v1/app/cases", headers=ana)).json())["tickets"][0]["id"]
    other = await verified_citizen(seeded, "luis@example.co")
    assert (await (await seeded.get("/api/v1/app/cases", headers=other)).json())["tickets"] == []
    form = FormData()
    form.add_field("files", PDF, filename="x.pdf", content_type="application/pdf")
    attempts = [
        await seeded.get(f"/api/v1/app/cases/{case_id}", headers=other),
        await seeded.post(f"/api/v1/app/cases/{case_id}/reply", json={"text": "x"}, headers=other),
        await seeded.post(f"/api/v1/app/cases/{case_id}/attachments", data=form, headers=other),
    ]
    for resp in attempts:
        assert resp.status == 404 and (await resp.json())["error"]["code"] == "not_found"
    async with seeded.app[UOW]() as uow:
        ticket = (await uow.session.scalars(select(Ticket))).one()
        assert ticket.status == "radicado"


async def test_app_routes_need_a_citizen_token(seeded: Client) -> None:
    official = {"Authorization": f"Bearer {await official_login(seeded, 'agente1@demo.pasto.gov.co')}"}
    for headers, code in (({}, "missing_token"), (official, "invalid_token")):
        resp = await seeded.get("/api/v1/app/cases", headers=headers)
        assert resp.status == 401 and (await resp.json())["error"]["code"] == code
    spec = await (await seeded.get("/api/v1/openapi.json")).json()
    assert {"/api/v1/app/cases", "/api/v1/app/cases/{ticket_id}/reply", "/api/v1/app/register"} <= set(
        spec["paths"]
    )


async def test_filing_from_the_app_shows_in_my_cases_with_channel_app(seeded: Client, backend: str) -> None:
    me = await verified_citizen(seeded, "ana@example.co")
    body = {"type": "queja", "subject": "Bus que no para", "description": "La ruta 8 no se detiene."}
    resp = await seeded.post("/api/v1/app/pqrd", json=body, headers={**me, "Idempotency-Key": "k-1"})
    filed = await resp.json()
    assert resp.status == 201, filed
    assert {"case_id", "radicado", "access_code", "due_date"} <= set(filed)
    again = await seeded.post("/api/v1/app/pqrd", json=body, headers={**me, "Idempotency-Key": "k-1"})
    assert again.status == 201 and (await again.json())["radicado"] == filed["radicado"]
    form = FormData()
    for name, value in (
        ("subject", "Con foto"),
        ("description", "Adjunto la foto."),
        ("notify_by_email", "true"),
    ):
        form.add_field(name, value)
    form.add_field("files", PDF, filename="foto.pdf", content_type="application/pdf")
    with_file = await seeded.post("/api/v1/app/pqrd", data=form, headers=me)
    assert with_file.status == 201, await with_file.text()
    cases = (await (await seeded.get("/api/v1/app/cases", headers=me)).json())["tickets"]
    assert sorted(t["radicado"] for t in cases) == sorted(
        [filed["radicado"], (await with_file.json())["radicado"]]
    )
    assert {t["channel"] for t in cases} == {"app"}
    case = await (
        await seeded.get(f"/api/v1/app/cases/{(await with_file.json())['case_id']}", headers=me)
    ).json()
    assert case["attachments"] == ["foto.pdf"]
    async with seeded.app[UOW]() as uow:
        acks = (
            await uow.session.scalars(
                select(OutboundMessage.to).where(OutboundMessage.ticket_id.is_not(None))
            )
        ).all()
    assert list(acks) == ["ana@example.co"]  # the acknowledgement goes to the verified address only


async def test_the_app_filing_refuses_citizen_data_and_needs_a_citizen_token(seeded: Client) -> None:
    body = {"subject": "Asunto", "description": "Descripción"}
    anonymous = await seeded.post("/api/v1/app/pqrd", json=body)
    assert anonymous.status == 401
    me = await verified_citizen(seeded, "ana@example.co")
    someone = await seeded.post(
        "/api/v1/app/pqrd", json={**body, "citizen": {"name": "Otra", "email": "o@x.co"}}, headers=me
    )
    assert someone.status == 400 and (await someone.json())["error"]["code"] == "validation_error"
    async with seeded.app[UOW]() as uow:
        assert (await uow.session.scalars(select(Ticket))).all() == []


async def test_the_openapi_document_declares_app_filing_and_multipart_only_attachments(
    seeded: Client,
) -> None:
    spec = await (await seeded.get("/api/v1/openapi.json")).json()
    filing = spec["paths"]["/api/v1/app/pqrd"]["post"]
    assert set(filing["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert "citizen" not in spec["components"]["schemas"]["AppPqrdIn"]["properties"]
    assert "Idempotency-Key" in {p["name"] for p in filing["parameters"]}
    attach = spec["paths"]["/api/v1/app/cases/{ticket_id}/attachments"]["post"]
    content = attach["requestBody"]["content"]
    assert set(content) == {"multipart/form-data"}
    assert "files" in content["multipart/form-data"]["schema"]["required"]
    # And the route does refuse JSON, as declared.
    await file_on_the_web(seeded)
    me = await verified_citizen(seeded, ANA["email"])
    case_id = (await (await seeded.get("/api/v1/app/cases", headers=me)).json())["tickets"][0]["id"]
    refused = await seeded.post(f"/api/v1/app/cases/{case_id}/attachments", json={"files": ["x"]}, headers=me)
    assert refused.status == 415 and (await refused.json())["error"]["code"] == "multipart_required"
