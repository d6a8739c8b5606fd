"""With RQ, a real `contact-center worker` retries a failed e-mail from the database through its sweep,
attempt after attempt (RQ remembers a finished job's id for an hour, so each re-drive is a new job),
and sends it once when the SMTP server is back."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from contact_center.domain.clock import SystemClock
from contact_center.persistence.db import create_engine, session_factory
from contact_center.persistence.outbound_models import OutboundMessage
from contact_center.services.mail import queue_message
from contact_center.services.notifier import RecordingNotifier
from contact_center.services.uow import UnitOfWorkFactory
from tests.conftest import TEST_SECRET
from tests.integration.escalation_support import eventually
from tests.integration.test_jobs_rq import PrivateRedis
from tests.integration.test_outbound_retry import Inbox
from tests.support import services
from tests.support.server import CLI, free_port


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(free_port(), tmp_path / "redis.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def uows(pg_url: str) -> AsyncIterator[UnitOfWorkFactory]:
    await services.truncate_all(pg_url.replace("+asyncpg", ""))
    engine = create_engine(pg_url, pool_size=2)
    yield UnitOfWorkFactory(session_factory(engine), RecordingNotifier(), SystemClock())
    await engine.dispose()


def _worker(pg_url: str, redis_url: str, smtp_port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": pg_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": TEST_SECRET,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "ESCALATION_SWEEP_SECONDS": "0.5",
        "OUTBOUND_RETRY_BASE_SECONDS": "1",  # attempts 1, 2, 4... seconds apart
        "LOG_FORMAT": "console",
    }
    out = open(log, "ab")  # noqa: SIM115  (the child process owns it)
    return subprocess.Popen([str(CLI), "worker"], env=env, stdout=out, stderr=out)


async def _row(uows: UnitOfWorkFactory, outbound_id: int) -> OutboundMessage:
    async with uows() as uow:
        row = await uow.session.get(OutboundMessage, outbound_id)
        assert row is not None
        uow.session.expunge(row)
        return row


async def test_a_worker_retries_a_failed_email_attempt_after_attempt_and_sends_it_once(
    pg_url: str, uows: UnitOfWorkFactory, private_redis: PrivateRedis, tmp_path: Path
) -> None:
    async with uows() as uow:
        queued = await queue_message(uow, to="ana@example.co", subject="Acuse", body="Radicado 1.")
        await uow.commit()
        outbound_id = queued.id  # pending, as when the filing's own job was lost with Redis
    port, log = free_port(), tmp_path / "worker.log"
    worker = _worker(pg_url, private_redis.url, port, log)
    inbox, controller = Inbox(), None
    try:

        async def third_attempt_failed() -> bool:
            row = await _row(uows, outbound_id)
            return row.status == "retrying" and row.attempts >= 3

        await eventually(third_attempt_failed, within=30, what="three attempts by the worker's sweep")
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()

        async def sent() -> bool:
            return (await _row(uows, outbound_id)).status == "sent"

        await eventually(sent, within=30, what="the e-mail sent once the server is back")
        row = await _row(uows, outbound_id)
        assert row.last_error is None and row.next_attempt_at is None
        await asyncio.sleep(1)  # two more sweeps: nothing goes out again
    finally:
        worker.terminate()
        worker.wait(15)
        if controller is not None:
            controller.stop()
    assert len(inbox.messages) == 1
    text = log.read_text()
    assert text.count("outbound_not_configured") == 1  # SMS: said once, at the worker's start
    assert "job_retry" not in text
