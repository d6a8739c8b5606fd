"""Each outbound message goes out once, whichever jobs ask for it, and a sender that died mid-send
leaves a lease after which the sweep of the web process (the embedded default) sends it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from contact_center.core.clock import FakeClock
from contact_center.core.config import Settings
from contact_center.core.http.keys import JOBS, UOW
from contact_center.core.jobs.best_effort import BestEffortJobs
from contact_center.core.jobs.inline import InlineJobs
from contact_center.core.jobs.rq_jobs import RqJobs
from contact_center.outbound.jobs import DELIVER_JOB
from contact_center.outbound.services import delivery as outbound
from contact_center.outbound.services.mail import SmtpMailer, queue_message
from contact_center.pqrd.services.acknowledgement import ACK_JOB
from tests.conftest import AppFactory
from tests.integration import mail_support
from tests.integration.escalation_support import eventually
from tests.integration.mail_support import Inbox, outbound_row

TO = "ana@example.co"
smtp_port = mail_support.smtp_port
start_smtp = mail_support.start_smtp


@pytest.fixture
def smtp(smtp_port: int, start_smtp: Callable[..., Inbox]) -> tuple[Inbox, int]:
    """An SMTP server that takes its time to accept, so deliveries of one row overlap."""
    return start_smtp(Inbox(accept_after=0.3)), smtp_port


async def _app(
    make_client: AppFactory, make_settings: Callable[..., Settings], port: int, sweep: float = 60.0
) -> TestClient[Any, Any]:
    settings = make_settings(
        smtp_host="127.0.0.1", smtp_port=port, escalation_sweep_seconds=sweep, jobs_retry_base_seconds=0.05
    )
    return await make_client(settings)


async def _message(client: TestClient[Any, Any], *, crashed_sender: bool = False) -> int:
    """A stored e-mail; with `crashed_sender`, as a sender that claimed it and died leaves it."""
    async with client.app[UOW]() as uow:
        row = await queue_message(uow, to=TO, subject="Radicado 2026000001", body="Su PQRD fue respondida.")
        if crashed_sender:
            row.status, row.attempts = outbound.SENDING, 1
            row.claimed_until = uow.clock.now() + timedelta(seconds=outbound.LEASE_SECONDS)
        await uow.commit()
        return row.id


async def test_concurrent_deliveries_of_one_message_send_one_email(
    make_client: AppFactory,
    make_settings: Callable[..., Settings],
    smtp: tuple[Inbox, int],
    backend: str,
) -> None:
    inbox, port = smtp
    client = await _app(make_client, make_settings, port)
    first = await _message(client)
    # The acknowledgement's job and a notice re-drive under another id, at the same moment.
    jobs = client.app[JOBS]
    await asyncio.gather(
        jobs.enqueue(ACK_JOB, first, job_id=f"ack:{first}"),
        jobs.enqueue(DELIVER_JOB, first, job_id=f"msg:{first}"),
    )
    second = await _message(client)
    mailer = SmtpMailer("127.0.0.1", port, "Línea 195 <no-responder@pasto.gov.co>")
    outcomes = await asyncio.gather(
        *(outbound.deliver(client.app[UOW], outbound.Senders(mailer=mailer), second) for _ in range(4))
    )
    assert sorted(outcomes) == ["claimed", "claimed", "claimed", "sent"]

    async def both_sent() -> bool:
        return all([(await outbound_row(client.app[UOW], i)).status == "sent" for i in (first, second)])

    await eventually(both_sent, what="both messages sent")
    await asyncio.sleep(0.5)  # a second send, had there been one, would have arrived by now
    assert inbox.recipients == [[TO], [TO]]
    for outbound_id in (first, second):
        row = await outbound_row(client.app[UOW], outbound_id)
        assert row.attempts == 1 and row.claimed_until is None and row.sent_at is not None


async def test_a_claim_left_by_a_crashed_sender_is_retried_after_its_lease(
    make_client: AppFactory,
    make_settings: Callable[..., Settings],
    smtp: tuple[Inbox, int],
    clock: FakeClock,
    backend: str,
) -> None:
    inbox, port = smtp
    client = await _app(make_client, make_settings, port, sweep=0.05)
    assert isinstance(client.app[JOBS], InlineJobs)  # what `contact-center serve` runs by default
    outbound_id = await _message(client, crashed_sender=True)
    await asyncio.sleep(0.5)  # ten sweeps: the lease still holds, nobody sends
    assert (await outbound_row(client.app[UOW], outbound_id)).status == "sending" and inbox.recipients == []

    clock.advance(seconds=outbound.LEASE_SECONDS + 1)

    async def sent() -> bool:
        return (await outbound_row(client.app[UOW], outbound_id)).status == "sent"

    await eventually(sent, what="the abandoned message sent by the sweep")
    row = await outbound_row(client.app[UOW], outbound_id)
    assert row.attempts == 2 and row.claimed_until is None
    assert inbox.recipients == [[TO]]


async def test_the_web_process_sweeps_only_on_the_embedded_default(
    make_client: AppFactory, make_settings: Callable[..., Settings]
) -> None:
    def sweeping() -> bool:
        return any(task.get_name() == "escalation-sweep" for task in asyncio.all_tasks())

    embedded = await make_client(make_settings())
    assert isinstance(embedded.app[JOBS], InlineJobs) and sweeping()
    await embedded.close()
    assert not sweeping()
    rq = await make_client(make_settings(redis_url="redis://127.0.0.1:6379/0", jobs="rq"))
    jobs = rq.app[JOBS]  # RQ behind the best-effort wrapper of requests
    assert isinstance(jobs, BestEffortJobs) and isinstance(jobs.inner, RqJobs)
    assert not sweeping()  # `contact-center worker` drives it
