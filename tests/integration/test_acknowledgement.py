"""The acuse de recibo goes out by e-mail through a real SMTP server; SMTP down never stops a filing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from contact_center.core.clock import FakeClock
from contact_center.core.config import Settings
from contact_center.core.db.models import TicketEvent
from contact_center.core.http.keys import UOW
from contact_center.outbound.models import OutboundMessage
from contact_center.seed import seed_demo
from tests.conftest import AppFactory
from tests.integration import mail_support
from tests.integration.mail_support import Inbox
from tests.integration.test_pqrd_api import FILING, filing

smtp_port = mail_support.smtp_port
start_smtp = mail_support.start_smtp


@pytest.fixture
async def mailing_client(
    make_client: AppFactory, make_settings: Callable[..., Settings], smtp_port: int
) -> TestClient[Any, Any]:
    settings = make_settings(smtp_host="127.0.0.1", smtp_port=smtp_port, escalation_sweep_seconds=0.05)
    client = await make_client(settings)
    async with client.app[UOW]() as uow:
        await seed_demo(uow)
    return client


async def outbound(client: TestClient[Any, Any]) -> list[OutboundMessage]:
    async with client.app[UOW]() as uow:
        rows = list((await uow.session.scalars(select(OutboundMessage).order_by(OutboundMessage.id))).all())
        uow.session.expunge_all()  # plain snapshots, readable after the unit of work ends
        return rows


async def wait_for(client: TestClient[Any, Any], status: str, seconds: float = 15) -> OutboundMessage:
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        rows = await outbound(client)
        if rows and rows[0].status == status:
            return rows[0]
        await asyncio.sleep(0.05)
    raise AssertionError(
        f"outbound message never became {status}: {[(r.status, r.last_error) for r in rows]}"
    )


async def test_acknowledgement_is_emailed_in_spanish_with_radicado_and_due_date(
    mailing_client: TestClient[Any, Any], start_smtp: Callable[[], Inbox], backend: str
) -> None:
    inbox = start_smtp()
    resp = await mailing_client.post("/api/v1/pqrd", json=FILING)
    assert resp.status == 201
    filed = await resp.json()
    sent = await wait_for(mailing_client, "sent")
    assert sent.attempts == 1 and sent.to == "ana@example.co" and sent.sent_at is not None
    assert len(inbox.messages) == 1
    mail = inbox.messages[0]
    assert mail["To"] == "ana@example.co" and filed["radicado"] in mail["Subject"]
    text = mail.get_payload(decode=True).decode("utf-8")  # type: ignore[union-attr]
    assert f"radicada con el número {filed['radicado']}" in text
    assert "23/11/2026 a las 10:00 (hora de Bogotá)" in text
    assert "Tipo: Petición." in text and "Fecha límite de respuesta: 15/12/2026" in text
    assert filed["access_code"] not in text  # the code is never written down anywhere
    # The link opens the status page (consulta) with the radicado filled in, not the filing form.
    assert f"/portal/pqrd/consulta?radicado={filed['radicado']}" in text
    status_page = await mailing_client.get(f"/portal/pqrd/consulta?radicado={filed['radicado']}")
    assert status_page.status == 200 and filed["radicado"] in await status_page.text()
    async with mailing_client.app[UOW]() as uow:
        event = (
            await uow.session.scalars(select(TicketEvent).where(TicketEvent.kind == "acknowledged"))
        ).one()
        assert event.public and event.data["outbound_id"] == sent.id and event.data["text"] == sent.body


async def test_no_email_is_queued_when_the_citizen_did_not_ask_for_it(
    mailing_client: TestClient[Any, Any],
) -> None:
    resp = await mailing_client.post("/api/v1/pqrd", json=filing(notify_by_email=False))
    assert resp.status == 201
    assert await outbound(mailing_client) == []


async def test_smtp_down_filing_succeeds_failure_is_visible_and_a_retry_sends_it(
    mailing_client: TestClient[Any, Any], start_smtp: Callable[[], Inbox], clock: FakeClock, backend: str
) -> None:
    resp = await mailing_client.post("/api/v1/pqrd", json=FILING)
    assert resp.status == 201
    failed = await wait_for(mailing_client, "retrying")
    assert failed.last_error and failed.attempts == 1
    assert failed.next_attempt_at == clock.now() + timedelta(minutes=1)
    metrics = await (await mailing_client.get("/metrics")).text()
    assert 'outbound_messages{channel="email",status="retrying"} 1.0' in metrics
    inbox = start_smtp()  # the server comes back; the sweep retries once the backoff has passed
    clock.advance(minutes=1)
    sent = await wait_for(mailing_client, "sent")
    assert sent.attempts == 2 and sent.last_error is None
    assert len(inbox.messages) == 1
    metrics = await (await mailing_client.get("/metrics")).text()
    assert 'outbound_messages{channel="email",status="sent"} 1.0' in metrics
