"""With RQ, a real `contact-center worker` retries a failed e-mail from the database through its sweep,
attempt after attempt (RQ remembers a finished job's id for an hour, so each re-drive is a new job),
and sends it once when the SMTP server is back."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from contact_center.core.clock import SystemClock
from contact_center.core.db.engine import create_engine, session_factory
from contact_center.core.notifier import RecordingNotifier
from contact_center.core.uow import UnitOfWorkFactory
from contact_center.outbound.services.mail import queue_message
from tests.conftest import TEST_SECRET
from tests.integration import mail_support, test_jobs_rq
from tests.integration.escalation_support import eventually
from tests.integration.mail_support import Inbox, outbound_row
from tests.integration.test_jobs_rq import PrivateRedis
from tests.support import services
from tests.support.server import CLI

private_redis = test_jobs_rq.private_redis
smtp_port = mail_support.smtp_port
start_smtp = mail_support.start_smtp


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


async def test_a_worker_retries_a_failed_email_attempt_after_attempt_and_sends_it_once(
    pg_url: str,
    uows: UnitOfWorkFactory,
    private_redis: PrivateRedis,
    smtp_port: int,
    start_smtp: Callable[[], Inbox],
    tmp_path: Path,
) -> None:
    async with uows() as uow:
        queued = await queue_message(uow, to="ana@example.co", subject="Acuse", body="Radicado 1.")
        await uow.commit()
        outbound_id = queued.id  # pending, as when the filing's own job was lost with Redis
    log = tmp_path / "worker.log"
    worker = _worker(pg_url, private_redis.url, smtp_port, log)
    try:

        async def third_attempt_failed() -> bool:
            row = await outbound_row(uows, outbound_id)
            return row.status == "retrying" and row.attempts >= 3

        await eventually(third_attempt_failed, within=30, what="three attempts by the worker's sweep")
        inbox = start_smtp()

        async def sent() -> bool:
            return (await outbound_row(uows, outbound_id)).status == "sent"

        await eventually(sent, within=30, what="the e-mail sent once the server is back")
        row = await outbound_row(uows, outbound_id)
        assert row.last_error is None and row.next_attempt_at is None
        await asyncio.sleep(1)  # two more sweeps: nothing goes out again
    finally:
        worker.terminate()
        worker.wait(15)
    assert len(inbox.messages) == 1
    text = log.read_text()
    assert text.count("outbound_not_configured") == 1  # SMS: said once, at the worker's start
    assert "job_retry" not in text
