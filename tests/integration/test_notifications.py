"""Citizens hear about their PQRD by e-mail (a real local SMTP server) and SMS (Twilio's REST client
against a local stand-in of api.twilio.com), and every notice stays as evidence."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from contact_center.core.clock import FakeClock
from contact_center.core.config import Settings
from contact_center.core.db.models import Citizen, CitizenIdentity, Ticket
from contact_center.core.http.keys import UOW
from contact_center.outbound.models import OutboundMessage
from contact_center.pqrd.services import actions as ticket_actions
from contact_center.pqrd.services.tickets import Actor
from contact_center.seed import seed_demo
from tests.conftest import AppFactory, login
from tests.integration import mail_support
from tests.integration.escalation_support import (
    eventually,
    file_salud_ticket,
    official_id,
    request_completion,
)
from tests.integration.mail_support import Inbox
from tests.integration.test_pqrd_api import filing
from tests.integration.twilio_support import messages_api

SID = "AC00000000000000000000000000000001"
PHONE = "+573001234567"
EMAIL = "ana.perez@example.co"
ANSWER = "La Secretaría de Salud programó la entrega de sus medicamentos para el lunes."


smtp_port = mail_support.smtp_port
start_smtp = mail_support.start_smtp
smtp = mail_support.smtp


@pytest.fixture
async def twilio() -> AsyncIterator[tuple[list[dict[str, Any]], str]]:
    """A stand-in for Twilio's Messages resource that records what the client POSTs."""
    posted: list[dict[str, Any]] = []

    async def create(request: web.Request) -> web.Response:
        form = dict(await request.post())
        posted.append(
            {"account": request.match_info["sid"], "auth": request.headers.get("Authorization"), **form}
        )
        body = {
            "sid": f"SM{len(posted):032d}",
            "status": "queued",
            "to": form.get("To"),
            "from": form.get("From"),
        }
        return web.json_response(body, status=201)

    async with messages_api(create) as api_base:
        yield posted, api_base


async def _citizen(uows: Any) -> int:
    async with uows() as uow:
        citizen = Citizen(name="Ana Pérez", created_at=uow.clock.now())
        uow.session.add(citizen)
        await uow.session.flush()
        for kind, value in (("email", EMAIL), ("phone", PHONE)):
            uow.session.add(
                CitizenIdentity(citizen_id=citizen.id, kind=kind, value=value, created_at=uow.clock.now())
            )
        await uow.commit()
        return citizen.id


async def test_a_citizen_gets_status_notices_by_email_and_sms_recorded_as_sent(
    make_client: AppFactory,
    make_settings: Callable[..., Settings],
    clock: FakeClock,
    smtp: tuple[Inbox, int],
    twilio: tuple[list[dict[str, Any]], str],
) -> None:
    inbox, smtp_port = smtp
    posted, api_base = twilio
    settings = make_settings(
        escalation_sweep_seconds=0.05,
        jobs_retry_base_seconds=0.01,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        twilio_account_sid=SID,
        twilio_auth_token="test-token",
        twilio_from_number="+15005550006",
        twilio_api_base=api_base,
    )
    client = await make_client(settings)
    uows = client.app[UOW]
    async with uows() as uow:
        await seed_demo(uow)
    citizen = await _citizen(uows)
    agent = await official_id(uows, "agente2@demo.pasto.gov.co")
    ticket_id = await file_salud_ticket(uows, agent, citizen_id=citizen, notify_by_email=True)
    await request_completion(uows, ticket_id, agent, reason="Adjunte la fórmula médica vigente.")

    async def all_sent() -> bool:
        async with uows() as uow:
            statuses = (
                await uow.session.scalars(
                    select(OutboundMessage.status).where(OutboundMessage.ticket_id == ticket_id)
                )
            ).all()
        # Assigning and starting work are internal: only the completion request reaches the citizen.
        return len(statuses) == 2 and set(statuses) == {"sent"}

    await eventually(all_sent, what="two notices sent")
    mails = inbox.texts_to(EMAIL)
    assert len(mails) == 1
    assert "complete su petici" in mails[0] and "rmula m" in mails[0]
    assert len(posted) == 1 and {p["To"] for p in posted} == {PHONE}
    assert all(p["account"] == SID and p["From"] == "+15005550006" for p in posted)
    assert "Suspendido" in posted[0]["Body"]


async def test_an_anonymous_pqrd_without_contact_gets_its_answer_published_not_sent(
    make_client: AppFactory, make_settings: Callable[..., Settings], clock: FakeClock
) -> None:
    client = await make_client(make_settings(escalation_sweep_seconds=0.05))
    uows = client.app[UOW]
    async with uows() as uow:
        await seed_demo(uow)
    agent = await official_id(uows, "agente2@demo.pasto.gov.co")
    ticket_id = await file_salud_ticket(uows, agent)
    async with uows() as uow:
        ticket = await uow.session.get(Ticket, ticket_id)
        assert ticket is not None
        await ticket_actions.answer(uow, ticket, Actor("official", agent), text="La entrega será el lunes.")
        await uow.commit()
    await asyncio.sleep(0.2)
    async with uows() as uow:
        ticket = await uow.session.get(Ticket, ticket_id)
        assert ticket is not None and ticket.public_answer == "La entrega será el lunes."
        sent = (
            await uow.session.scalars(select(OutboundMessage).where(OutboundMessage.ticket_id == ticket_id))
        ).all()
    assert sent == []


async def test_an_anonymous_citizen_reads_the_officials_answer_on_the_status_route(
    seeded: TestClient[Any, Any], backend: str
) -> None:
    body = filing(citizen=None, anonymous=True, data_consent=False, notify_by_email=False)
    filed = await seeded.post("/api/v1/pqrd", json=body)
    assert filed.status == 201, await filed.text()
    receipt = await filed.json()
    radicado, code = receipt["radicado"], receipt["access_code"]
    status_url = f"/api/v1/pqrd/{radicado}?access_code={code}"
    assert (await (await seeded.get(status_url)).json())["public_answer"] is None

    official = {"Authorization": f"Bearer {await login(seeded, 'admin@demo.pasto.gov.co')}"}
    for action, payload in (("assign", {}), ("start", None), ("answer", {"answer": ANSWER})):
        resp = await seeded.post(f"/api/v1/tickets/{radicado}/{action}", json=payload, headers=official)
        assert resp.status == 200, (action, await resp.text())
    seeded.session.cookie_jar.clear()  # the citizen has no session, only the access code

    status = await seeded.get(status_url)
    assert status.status == 200
    shown = await status.json()
    assert shown["status"] == "respondido" and shown["public_answer"] == ANSWER
    assert (await seeded.get(f"/api/v1/pqrd/{radicado}?access_code=WRONG-CODE")).status == 404
    async with seeded.app[UOW]() as uow:
        sent = (await uow.session.scalars(select(OutboundMessage))).all()
    assert sent == []  # nobody to send it to: the status page is where it is read
