"""Jobs on a real RQ worker (`contact-center worker`), and a Redis outage that loses no escalation.

The test runs its own redis-server on a free port (other tests share the main Redis) and stops it
with everything in it, as a crash would, while escalations are due.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from redis import Redis

from contact_center.core.clock import SystemClock
from contact_center.core.config import load_settings
from contact_center.core.db.engine import create_engine, session_factory
from contact_center.core.notifier import RecordingNotifier
from contact_center.core.uow import UnitOfWorkFactory
from contact_center.seed import seed_demo
from tests.conftest import TEST_SECRET
from tests.integration.escalation_support import escalation_events, eventually, file_salud_ticket, official_id
from tests.support import services
from tests.support.server import CLI, free_port

# A petición 40 days old has every escalation point behind it: they fire as one catch-up alert
# ("Término vencido", step 1), never as a burst of stale ones.
ALL_STEPS = 1


class PrivateRedis:
    """A redis-server of this test's own, without persistence: a restart starts it empty."""

    def __init__(self, port: int, log: Path) -> None:
        self.port, self.log = port, log
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = [
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        self.proc = subprocess.Popen([*args, "--logfile", str(self.log)])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if Redis.from_url(self.url, socket_connect_timeout=0.2).ping():
                    return
            except Exception:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not answer PING")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()  # as a crash: nothing is saved
            self.proc.wait(10)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(free_port(), tmp_path / "redis.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def uows(pg_url: str) -> UnitOfWorkFactory:
    await services.truncate_all(pg_url.replace("+asyncpg", ""))
    engine = create_engine(pg_url, pool_size=2)
    factory = UnitOfWorkFactory(session_factory(engine), RecordingNotifier(), SystemClock())
    async with factory() as uow:
        await seed_demo(uow)
    return factory


def _worker(pg_url: str, redis_url: str, namespace: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": pg_url,
        "REDIS_URL": redis_url,
        "REDIS_NAMESPACE": namespace,
        "SECRET_KEY": TEST_SECRET,
        "ESCALATION_SWEEP_SECONDS": "0.5",
        "JOBS_RETRY_BASE_SECONDS": "1",
        "LOG_FORMAT": "console",
    }
    out = open(log, "ab")  # noqa: SIM115  (the child process owns it)
    return subprocess.Popen([str(CLI), "worker"], env=env, stdout=out, stderr=out)


async def _all_fired(uows: UnitOfWorkFactory, ticket_id: int) -> bool:
    return len(await escalation_events(uows, ticket_id)) >= ALL_STEPS


async def test_a_real_worker_fires_every_due_step_and_a_redis_crash_loses_or_doubles_none(
    uows: UnitOfWorkFactory, pg_url: str, private_redis: PrivateRedis, tmp_path: Path, redis_namespace: str
) -> None:
    agent = await official_id(uows, "agente2@demo.pasto.gov.co")
    old = SystemClock().now() - timedelta(days=40)
    before = await file_salud_ticket(uows, agent, filed_at=old)
    worker = _worker(pg_url, private_redis.url, redis_namespace, tmp_path / "worker.log")
    try:
        await eventually(lambda: _all_fired(uows, before), within=60, what="escalations before the crash")

        private_redis.stop()
        during = await file_salud_ticket(uows, agent, filed_at=old)  # due while Redis is down
        await asyncio.sleep(2)
        assert await escalation_events(uows, during) == []
        private_redis.start()  # empty: every queued job and job id is gone

        await eventually(lambda: _all_fired(uows, during), within=90, what="escalations after the restart")
        await asyncio.sleep(1.5)  # a few more sweeps: nothing fires twice
        for ticket_id in (before, during):
            steps = [e["step"] for e in await escalation_events(uows, ticket_id)]
            assert steps == list(range(1, ALL_STEPS + 1)), (ticket_id, steps)
        assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
    finally:
        worker.terminate()
        worker.wait(20)


async def test_rq_jobs_dedupe_ids_while_pending_and_run_on_the_worker(
    uows: UnitOfWorkFactory, pg_url: str, private_redis: PrivateRedis, tmp_path: Path, redis_namespace: str
) -> None:
    from contact_center.core.jobs.rq_jobs import RqJobs

    settings = load_settings(
        database_url=pg_url,
        redis_url=private_redis.url,
        redis_namespace=redis_namespace,
        secret_key=TEST_SECRET,
    )
    jobs = RqJobs(settings)
    ticket_id = await file_salud_ticket(uows, None, filed_at=SystemClock().now() - timedelta(days=40))
    job = "contact_center.pqrd.services.escalation:escalate_job"
    assert jobs.enqueue_sync(job, (ticket_id, 1), f"esc:{ticket_id}:1") is True
    assert jobs.enqueue_sync(job, (ticket_id, 1), f"esc:{ticket_id}:1") is False  # pending: a no-op
    assert len(jobs.queue) == 1
    worker = _worker(pg_url, private_redis.url, redis_namespace, tmp_path / "worker.log")
    try:
        await eventually(lambda: _all_fired(uows, ticket_id), within=60, what="the chain of due steps")
    finally:
        worker.terminate()
        worker.wait(20)
    with pytest.raises(ValueError):
        jobs.enqueue_sync("no_such_module_x:job", (), "bad")
