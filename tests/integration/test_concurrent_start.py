"""Two `serve` processes starting together against a backlog of unrouted tickets both come up, and
every ticket gets exactly one live work item (`uq_work_items_live_ticket` is not a crash)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

import asyncpg
import pytest

from contact_center.core.clock import SystemClock
from contact_center.core.db.engine import create_engine, session_factory
from contact_center.core.notifier import RecordingNotifier
from contact_center.core.uow import UnitOfWorkFactory
from tests.conftest import TEST_SECRET
from tests.integration.escalation_support import file_salud_ticket
from tests.support import services
from tests.support.server import ServerProcess

BACKLOG = 150
TRIES = 3


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    name = services.unique_name("p195_start")
    dsn = services.run_sync(services.create_database(name))
    try:
        yield dsn
    finally:
        services.run_sync(services.drop_database(name))


async def _file_backlog(dsn: str) -> None:
    engine = create_engine(dsn.replace("postgresql://", "postgresql+asyncpg://", 1), pool_size=2)
    try:
        uows = UnitOfWorkFactory(session_factory(engine), RecordingNotifier(), SystemClock())
        for _ in range(BACKLOG):
            await file_salud_ticket(uows, None)
    finally:
        await engine.dispose()


async def _live_items(dsn: str, reset: bool = False) -> list[int]:
    conn = await asyncpg.connect(dsn)
    try:
        if reset:
            await conn.execute("TRUNCATE work_items CASCADE")
        rows = await conn.fetch(
            "SELECT count(*) FROM work_items WHERE ticket_id IS NOT NULL"
            " AND status IN ('waiting', 'offered', 'assigned') GROUP BY ticket_id"
        )
        return [int(r[0]) for r in rows]
    finally:
        await conn.close()


def _healthy(server: ServerProcess, deadline: float) -> None:
    assert server.proc is not None
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            log = server.log_path.read_text() if server.log_path else ""
            raise AssertionError(
                f"a process died at start-up (exit {server.proc.returncode}):\n{log[-3000:]}"
            )
        try:
            with urlopen(f"{server.url}/health", timeout=1) as resp:
                if resp.status == 200:
                    return
        except (URLError, OSError):
            time.sleep(0.1)
    raise AssertionError("a process did not answer /health in time")


def test_two_processes_starting_together_route_the_backlog_once(
    database: str, tmp_path: Path, redis_namespace: str
) -> None:
    env = {
        "DATABASE_URL": database,
        "REDIS_URL": services.REDIS_URL,
        "REDIS_NAMESPACE": redis_namespace,
        "SECRET_KEY": TEST_SECRET,
        "DATA_DIR": str(tmp_path),
        "LOG_FORMAT": "console",
        "JOBS": "inline",
    }
    first = ServerProcess(env, log_path=tmp_path / "a.log")
    for command in (["db", "upgrade"], ["seed-demo", "--allow-demo-accounts"]):
        done = first.run_cli(*command)
        assert done.returncode == 0, done.stderr
    services.run_sync(_file_backlog(database))
    for attempt in range(TRIES):
        assert services.run_sync(_live_items(database, reset=True)) == []
        pair = [first, ServerProcess(env, log_path=tmp_path / f"b{attempt}.log")]
        for server in pair:  # both at once, then wait for both
            server.proc = None
            server.log_path = tmp_path / f"{id(server)}-{attempt}.log"
            server.proc = _spawn(server)
        try:
            deadline = time.monotonic() + 60
            for server in pair:
                _healthy(server, deadline)
            counts = services.run_sync(_live_items(database))
            assert len(counts) == BACKLOG and set(counts) == {1}, (attempt, counts)
        finally:
            for server in pair:
                server.stop()


def _spawn(server: ServerProcess) -> object:
    import subprocess

    from tests.support.server import CLI

    assert server.log_path is not None
    out = open(server.log_path, "ab")  # noqa: SIM115 - closed with the process
    return subprocess.Popen([str(CLI), "serve"], env=server.env, stdout=out, stderr=out)
