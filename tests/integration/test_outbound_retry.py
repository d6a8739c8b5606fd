"""Outbound e-mail and SMS survive long outages: the sweep retries a failed acknowledgement or notice
with backoff for hours (fake time) until the SMTP server or Twilio is back, gives up only after
OUTBOUND_RETRY_MAX_HOURS, and a service without SMTP_HOST keeps the message waiting, quietly, until
it is configured."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from contact_center.core.clock import FakeClock
from contact_center.core.config import Settings
from contact_center.core.http.keys import UOW
from contact_center.outbound.models import OutboundMessage
from contact_center.seed import seed_demo
from tests.conftest import AppFactory
from tests.integration import mail_support
from tests.integration.escalation_support import (
    eventually,
    file_salud_ticket,
    official_id,
    request_completion,
)
from tests.integration.mail_support import Inbox
from tests.integration.test_notifications import PHONE, SID, _citizen
from tests.integration.test_pqrd_api import FILING
from tests.integration.twilio_support import messages_api

Client = TestClient[Any, Any]


smtp_port = mail_support.smtp_port
start_smtp = mail_support.start_smtp


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO)
    return caplog


def count(logs: pytest.LogCaptureFixture, event: str) -> int:
    return sum(1 for record in logs.records if record.msg == event)


async def serving(make_client: AppFactory, settings: Settings) -> Client:
    """The embedded default (in-process jobs and sweep), with the sweep every 50 ms of real time."""
    client = await make_client(settings)
    async with client.app[UOW]() as uow:
        await seed_demo(uow)
    return client


async def file_pqrd(client: Client) -> None:
    resp = await client.post("/api/v1/pqrd", json=FILING)  # notify_by_email: the acuse is queued
    assert resp.status == 201, await resp.text()


async def the_message(client: Client) -> OutboundMessage:
    async with client.app[UOW]() as uow:
        row: OutboundMessage = (await uow.session.scalars(select(OutboundMessage))).one()
        uow.session.expunge(row)
        return row


async def settled(client: Client, clock: FakeClock) -> OutboundMessage:
    """The message once every attempt due at the fake clock's time has been made."""

    async def done() -> bool:
        row = await the_message(client)
        if row.status in ("pending", "sending"):
            return False
        return not (row.status == "retrying" and row.next_attempt_at and row.next_attempt_at <= clock.now())

    await eventually(done, what="the due delivery attempt")
    return await the_message(client)


async def metrics(client: Client) -> str:
    return await (await client.get("/metrics")).text()


async def test_an_smtp_outage_of_three_hours_is_retried_with_backoff_then_sent_once(
    make_client: AppFactory,
    make_settings: Callable[..., Settings],
    smtp_port: int,
    start_smtp: Callable[[], Inbox],
    clock: FakeClock,
    logs: pytest.LogCaptureFixture,
    backend: str,
) -> None:
    settings = make_settings(smtp_host="127.0.0.1", smtp_port=smtp_port, escalation_sweep_seconds=0.05)
    client = await serving(make_client, settings)
    filed_at = clock.now()
    await file_pqrd(client)

    first = await settled(client, clock)
    assert first.status == "retrying" and first.attempts == 1 and first.last_error
    assert first.next_attempt_at == filed_at + timedelta(seconds=60)
    assert first.give_up_at == filed_at + timedelta(hours=48)
    assert 'outbound_messages{channel="email",status="retrying"} 1.0' in await metrics(client)

    for _ in range(18):  # three hours of fake time, ten minutes at a time
        clock.advance(minutes=10)
        row = await settled(client, clock)
        assert row.status == "retrying" and row.next_attempt_at is not None
        assert row.next_attempt_at - clock.now() <= timedelta(hours=1)  # the backoff's cap
    down = await the_message(client)
    # Backoff doubles from 1 minute: attempts at 0, 10, 20, 30, 40, 60, 100 and 160 minutes.
    assert down.attempts == 8
    assert count(logs, "outbound_failed") == down.attempts  # one line per attempt, not a flood
    assert count(logs, "job_retry") == 0

    inbox = start_smtp()  # the outage is over
    clock.advance(hours=1)
    sent = await settled(client, clock)
    assert sent.status == "sent" and sent.attempts == down.attempts + 1
    assert sent.last_error is None and sent.next_attempt_at is None and sent.sent_at == clock.now()
    clock.advance(hours=2)
    await asyncio.sleep(0.5)  # ten more sweeps, two fake hours later: nothing goes out again
    assert len(inbox.messages) == 1 and "Acuse de recibo" in str(inbox.messages[0]["Subject"])
    assert (await the_message(client)).attempts == sent.attempts
    assert 'outbound_messages{channel="email",status="sent"} 1.0' in await metrics(client)


async def test_without_smtp_the_message_waits_quietly_and_goes_out_once_smtp_is_configured(
    make_client: AppFactory,
    make_settings: Callable[..., Settings],
    smtp_port: int,
    start_smtp: Callable[[], Inbox],
    clock: FakeClock,
    logs: pytest.LogCaptureFixture,
    backend: str,
) -> None:
    unconfigured = await serving(make_client, make_settings(escalation_sweep_seconds=0.05))
    assert count(logs, "outbound_not_configured") == 1  # said once, at start-up
    await file_pqrd(unconfigured)
    for _ in range(6):
        clock.advance(hours=1)
        await asyncio.sleep(0.2)  # a few sweeps per fake hour
        waiting = await settled(unconfigured, clock)
        assert waiting.status == "waiting" and waiting.attempts == 0
    assert waiting.last_error and "SMTP_HOST" in waiting.last_error
    assert count(logs, "outbound_waiting_for_configuration") == 1  # one line for the message
    assert count(logs, "outbound_failed") == count(logs, "job_retry") == 0
    assert 'outbound_messages{channel="email",status="waiting"} 1.0' in await metrics(unconfigured)
    await unconfigured.close()

    inbox = start_smtp()
    configured = make_settings(smtp_host="127.0.0.1", smtp_port=smtp_port, escalation_sweep_seconds=0.05)
    restarted = await make_client(configured)  # the same database, restarted with SMTP_HOST
    assert count(logs, "outbound_not_configured") == 2  # SMS (Twilio) is still not configured

    async def delivered() -> bool:
        return (await the_message(restarted)).status == "sent"

    await eventually(delivered, what="the waiting message sent by the sweep after the restart")
    sent = await the_message(restarted)
    assert sent.attempts == 1 and sent.last_error is None
    await asyncio.sleep(0.5)
    assert len(inbox.messages) == 1


async def test_after_the_retry_horizon_the_message_is_failed_for_good_and_visible(
    make_client: AppFactory,
    make_settings: Callable[..., Settings],
    smtp_port: int,
    start_smtp: Callable[[], Inbox],
    clock: FakeClock,
    logs: pytest.LogCaptureFixture,
    backend: str,
) -> None:
    settings = make_settings(
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        escalation_sweep_seconds=0.05,
        outbound_retry_max_hours=2,
    )
    client = await serving(make_client, settings)
    await file_pqrd(client)
    first = await settled(client, clock)
    assert first.status == "retrying" and first.give_up_at == clock.now() + timedelta(hours=2)

    for _ in range(15):  # five fake hours, twenty minutes at a time
        clock.advance(minutes=20)
        row = await settled(client, clock)
        if row.status == "failed":
            break
        assert row.next_attempt_at is not None and row.next_attempt_at <= first.give_up_at
    failed = await the_message(client)
    assert failed.status == "failed" and failed.next_attempt_at is None and failed.last_error
    assert clock.now() >= first.give_up_at  # not before the horizon
    assert count(logs, "outbound_gave_up") == 1
    assert 'outbound_messages{channel="email",status="failed"} 1.0' in await metrics(client)

    inbox = start_smtp()  # too late: a message given up on is not sent by a later sweep
    clock.advance(days=1)
    await asyncio.sleep(0.5)
    assert inbox.messages == [] and (await the_message(client)).attempts == failed.attempts


class FlakyTwilio:
    """A stand-in for Twilio's Messages resource that answers 503 while `down`."""

    def __init__(self) -> None:
        self.down = True
        self.accepted: list[dict[str, Any]] = []

    async def create(self, request: web.Request) -> web.Response:
        if self.down:
            return web.json_response({"code": 20503, "message": "Service unavailable"}, status=503)
        form = dict(await request.post())
        self.accepted.append(form)
        return web.json_response({"sid": f"SM{len(self.accepted):032d}", "status": "queued"}, status=201)


@pytest.fixture
async def twilio() -> AsyncIterator[tuple[FlakyTwilio, str]]:
    stand_in = FlakyTwilio()
    async with messages_api(stand_in.create) as api_base:
        yield stand_in, api_base


async def test_an_sms_notice_is_retried_through_a_twilio_outage_and_sent_once(
    make_client: AppFactory,
    make_settings: Callable[..., Settings],
    twilio: tuple[FlakyTwilio, str],
    clock: FakeClock,
    logs: pytest.LogCaptureFixture,
    backend: str,
) -> None:
    stand_in, api_base = twilio
    settings = make_settings(
        escalation_sweep_seconds=0.05,
        twilio_account_sid=SID,
        twilio_auth_token="test-token",
        twilio_from_number="+15005550006",
        twilio_api_base=api_base,
    )
    client = await serving(make_client, settings)
    uows = client.app[UOW]
    agent = await official_id(uows, "agente2@demo.pasto.gov.co")
    ticket_id = await file_salud_ticket(uows, agent, citizen_id=await _citizen(uows), notify_by_email=False)
    await request_completion(uows, ticket_id, agent, reason="Falta la fórmula.")

    for _ in range(12):  # two hours of Twilio answering 503
        row = await settled(client, clock)
        assert row.channel == "sms" and row.status == "retrying" and "503" in (row.last_error or "")
        clock.advance(minutes=10)
    stand_in.down = False
    clock.advance(hours=1)

    async def delivered() -> bool:
        return (await the_message(client)).status == "sent"

    await eventually(delivered, what="the SMS sent once Twilio is back")
    clock.advance(hours=1)
    await asyncio.sleep(0.5)
    assert len(stand_in.accepted) == 1 and stand_in.accepted[0]["To"] == PHONE
    sent = await the_message(client)
    assert count(logs, "outbound_failed") == sent.attempts - 1 and count(logs, "job_retry") == 0
