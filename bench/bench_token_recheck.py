"""Cost of the per-event token re-check of the officials' sockets, on SQLite and PostgreSQL:
the read in a unit of work (`auth.authenticate_digest`) against the one every event uses
(`auth.recheck_digest`). Run from the project root: `.venv/bin/python -m bench.bench_token_recheck`
(needs the local PostgreSQL of the test suite)."""

import asyncio
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from contact_center.core import auth
from contact_center.core.clock import SystemClock
from contact_center.core.db import migrate
from contact_center.core.db.engine import create_engine, session_factory
from contact_center.core.notifier import RecordingNotifier
from contact_center.core.uow import UnitOfWorkFactory
from contact_center.seed import seed_demo
from tests.support import services


async def measure(url: str) -> None:
    engine = create_engine(url)
    uow_f = UnitOfWorkFactory(session_factory(engine), RecordingNotifier(), SystemClock())
    async with uow_f() as uow:
        await seed_demo(uow)
    async with uow_f() as uow:
        s = await auth.login(uow, "agente1@demo.pasto.gov.co", "demo-195", timedelta(hours=1))
    digest = auth.token_digest(s.token)
    for _ in range(50):
        async with uow_f() as uow:
            await auth.recheck_digest(engine, digest, uow.clock.now())
    n = 1000
    a, b = [], []
    clock = SystemClock()
    for _ in range(n):
        t = time.perf_counter()
        async with uow_f() as uow:
            await auth.authenticate_digest(uow, digest)
        a.append(time.perf_counter() - t)
        t = time.perf_counter()
        await auth.recheck_digest(engine, digest, clock.now())
        b.append(time.perf_counter() - t)
    for name, samples in (("unit of work", a), ("per-event read", b)):
        samples.sort()
        print(
            url.split(":")[0],
            name,
            f"median {samples[n // 2] * 1e3:.3f} ms  p99 {samples[int(n * 0.99)] * 1e3:.3f} ms",
        )
    await engine.dispose()


def main() -> None:
    path = Path(tempfile.mkdtemp()) / "bench.db"
    url = f"sqlite+aiosqlite:///{path}"
    migrate.upgrade(url)
    asyncio.run(measure(url))
    name = services.unique_name("p195_authzbench")
    dsn = services.run_sync(services.create_database(name))
    pg = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
    migrate.upgrade(pg)
    try:
        asyncio.run(measure(pg))
    finally:
        services.run_sync(services.drop_database(name))


if __name__ == "__main__":
    main()
