"""End-to-end benchmark of the router on PostgreSQL, against raw asyncpg in the same run.

    .venv/bin/python -m bench.bench_router_e2e            # 3,000 chats, 60 officials
    .venv/bin/python -m bench.bench_router_e2e --quick    # tiny sizes, a few seconds

A throw-away database is created (BENCH_PG_DSN, default the local PostgreSQL) and dropped.

* assignments/s: chats wait in a queue; the engine (one process, started as the web service starts
  it) offers them; simulated officials accept every offer as it arrives and complete the chat at once
  (no wrap-up), each step its own committed transaction. Timed from the first offer until every item
  is assigned: each assignment is an offer transaction (batched by the engine) plus an accept and a
  complete transaction.
* available -> offer: with chats waiting, one official becomes available (a committed presence
  change); timed until the engine's offer event for them is published. Then they go away again.
* baseline: single-row `UPDATE ... SET n = n + 1` transactions per second over one raw asyncpg
  connection: the price of one committed round trip on this machine.
* CPU ms per assignment: this process's CPU time over the throughput phase divided by the items
  (PostgreSQL's own CPU is not in it); with the 1-minute load average, to compare runs on a
  shared machine.

Targets: >= 500 assignments/s; p99 available -> offer <= 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import text

from contact_center.app import GC_THRESHOLDS
from contact_center.domain.clock import SystemClock
from contact_center.domain.events import Event
from contact_center.domain.officials import Presence
from contact_center.persistence import migrate
from contact_center.persistence.db import create_engine, session_factory
from contact_center.persistence.models import (
    Conversation,
    Official,
    OfficialCapacity,
    OfficialSkill,
    Queue,
    QueueSkill,
    Skill,
)
from contact_center.persistence.routing_models import RoutingSettings
from contact_center.services.uow import UnitOfWorkFactory
from routing.bus import RoutingNotifier
from routing.engine import RoutingEngine
from routing.service import NewWorkItem, RouterService

ADMIN_DSN = os.environ.get("BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
TARGET_PER_SECOND = 500.0
TARGET_P99_MS = 50.0


@dataclass(frozen=True)
class Sizes:
    items: int
    officials: int
    capacity: int
    workers: int
    latency_samples: int
    baseline_updates: int


FULL = Sizes(items=3_000, officials=60, capacity=3, workers=12, latency_samples=200, baseline_updates=3_000)
QUICK = Sizes(items=30, officials=4, capacity=2, workers=4, latency_samples=10, baseline_updates=100)


class OfferSink:
    """The socket side: offers land in a queue the simulated officials read."""

    def __init__(self) -> None:
        self.offers: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.seen: dict[int, float] = {}
        self.waiting: dict[int, asyncio.Event] = {}

    def expect(self, official: int) -> asyncio.Event:
        self.seen.pop(official, None)
        self.waiting[official] = asyncio.Event()
        return self.waiting[official]

    async def publish(self, events: Sequence[Event]) -> None:
        now = time.perf_counter()
        for event in events:
            if event.name == "offer":
                official = int(event.room.split(":")[1])
                self.seen.setdefault(official, now)
                if official in self.waiting:
                    self.waiting.pop(official).set()
                self.offers.put_nowait(dict(event.payload, official_id=official))


async def _create_db(name: str) -> str:
    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"{ADMIN_DSN.rsplit('/', 1)[0]}/{name}"


async def _drop_db(name: str) -> None:
    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def _seed(uow_factory: UnitOfWorkFactory, sizes: Sizes) -> list[int]:
    now = uow_factory.clock.now()
    async with uow_factory() as uow:
        skill = Skill(code="tramites", name="Trámites")
        queue = Queue(
            code="general", name="General", priority=0, sl_threshold_seconds=20, sl_target_percent=80
        )
        uow.session.add_all([skill, queue])
        await uow.session.flush()
        uow.session.add(QueueSkill(queue_id=queue.id, skill_id=skill.id, min_level=1))
        await uow.session.execute(text("DELETE FROM routing_settings"))
        uow.session.add(
            RoutingSettings(
                id=1, offer_timeout_seconds=20, missed_offers_before_away=5, wrap_up_seconds=0, updated_at=now
            )
        )
        ids = []
        for n in range(sizes.officials):
            official = Official(
                email=f"o{n}@bench.local", name=f"O{n}", role="agent", password_hash="x", created_at=now
            )
            uow.session.add(official)
            await uow.session.flush()
            uow.session.add(OfficialSkill(official_id=official.id, skill_id=skill.id, level=5))
            uow.session.add(
                OfficialCapacity(official_id=official.id, channel="chat", capacity=sizes.capacity)
            )
            ids.append(official.id)
        await uow.commit()
    return ids


async def _enqueue(router: RouterService, uow_factory: UnitOfWorkFactory, count: int) -> None:
    async with uow_factory() as uow:
        for n in range(count):
            conversation = Conversation(
                channel="chat", external_id=f"b{time.monotonic_ns()}-{n}", started_at=uow.clock.now()
            )
            uow.session.add(conversation)
            await uow.session.flush()
            item = NewWorkItem(
                kind="conversation", queue_code="general", channel="chat", conversation_id=conversation.id
            )
            await router.enqueue(uow, item)
        await uow.commit()


async def _official_worker(
    router: RouterService,
    uow_factory: UnitOfWorkFactory,
    sink: OfferSink,
    done: list[int],
    target: int,
    finished: asyncio.Event,
) -> None:
    while len(done) < target:
        offer = await sink.offers.get()
        try:
            async with uow_factory() as uow:
                assignment = await router.accept(uow, offer["offer_id"], offer["official_id"])
                await uow.commit()
            async with uow_factory() as uow:
                await router.complete(uow, assignment.work_item_id, offer["official_id"])
                await uow.commit()
            done.append(assignment.work_item_id)
            if len(done) >= target:
                finished.set()
        except Exception as exc:  # counted and shown: the benchmark must not hang on one failure
            print(f"official worker: {exc!r}", file=sys.stderr)


async def _throughput(
    router: RouterService,
    engine: RoutingEngine,
    uow_factory: UnitOfWorkFactory,
    sink: OfferSink,
    officials: list[int],
    sizes: Sizes,
) -> Throughput:
    await _enqueue(router, uow_factory, sizes.items)
    done: list[int] = []
    finished = asyncio.Event()
    workers = [
        asyncio.create_task(_official_worker(router, uow_factory, sink, done, sizes.items, finished))
        for _ in range(sizes.workers)
    ]
    start, cpu_start = time.perf_counter(), time.process_time()
    for official in officials:
        async with uow_factory() as uow:
            await router.set_presence(uow, official, Presence.AVAILABLE)
            await uow.commit()
    await finished.wait()
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    for worker in workers:
        worker.cancel()
    await asyncio.gather(*workers, return_exceptions=True)
    for official in officials:
        async with uow_factory() as uow:
            await router.set_presence(uow, official, Presence.AWAY, "fin")
            await uow.commit()
    return Throughput(sizes.items / elapsed, 1000 * cpu / sizes.items)


@dataclass(frozen=True)
class Throughput:
    per_second: float
    # This process's CPU (engine, simulated officials, broadcasts; not PostgreSQL's) per item:
    # what the router costs, less distorted by other load on the machine than the rate.
    cpu_ms_per_assignment: float


async def _latency(
    router: RouterService,
    engine: RoutingEngine,
    uow_factory: UnitOfWorkFactory,
    sink: OfferSink,
    officials: list[int],
    sizes: Sizes,
) -> list[float]:
    await _enqueue(router, uow_factory, 5)
    await asyncio.sleep(0.05)
    samples = []
    for n in range(sizes.latency_samples):
        official = officials[n % len(officials)]
        offered = sink.expect(official)
        start = time.perf_counter()
        async with uow_factory() as uow:
            await router.set_presence(uow, official, Presence.AVAILABLE)
            await uow.commit()
        await asyncio.wait_for(offered.wait(), 10)
        samples.append((sink.seen[official] - start) * 1000)
        async with uow_factory() as uow:
            await router.set_presence(uow, official, Presence.AWAY, "medición")
            await uow.commit()
    return samples


async def _baseline(dsn: str, count: int) -> float:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE TABLE bench_counter (id int PRIMARY KEY, n int NOT NULL)")
        await conn.execute("INSERT INTO bench_counter VALUES (1, 0)")
        start = time.perf_counter()
        for _ in range(count):
            async with conn.transaction():
                await conn.execute("UPDATE bench_counter SET n = n + 1 WHERE id = $1", 1)
        return count / (time.perf_counter() - start)
    finally:
        await conn.close()


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(sizes: Sizes) -> dict[str, Any]:
    name = f"bench_router_{os.getpid()}"
    dsn = await _create_db(name)
    url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        await migrate.upgrade_async(url)
        db = create_engine(url, pool_size=sizes.workers + 4)
        sink = OfferSink()
        notifier = RoutingNotifier(sink)
        uow_factory = UnitOfWorkFactory(session_factory(db), notifier, SystemClock())
        engine = RoutingEngine(uow_factory, listen_dsn=dsn, stats_interval=1.0)
        notifier.listeners.append(engine.kick)
        router = RouterService(engine.setup_for, engine.origin)
        officials = await _seed(uow_factory, sizes)
        await engine.start()
        # The heap of start-up frozen and young collections spaced, as `contact-center serve` does
        # once started (`contact_center.app._freeze_startup_heap`): the engine runs in that process.
        gc.collect()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)
        try:
            throughput = await _throughput(router, engine, uow_factory, sink, officials, sizes)
            while not sink.offers.empty():
                sink.offers.get_nowait()
            latencies = await _latency(router, engine, uow_factory, sink, officials, sizes)
        finally:
            await engine.stop()
            await db.dispose()
        baseline = await _baseline(dsn, sizes.baseline_updates)
    finally:
        await _drop_db(name)
    return {
        "assignments_per_second": round(throughput.per_second, 1),
        "cpu_ms_per_assignment": round(throughput.cpu_ms_per_assignment, 2),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "available_to_offer_ms": {
            "p50": round(statistics.median(latencies), 2),
            "p99": round(_p(latencies, 0.99), 2),
            "max": round(max(latencies), 2),
        },
        "baseline_single_row_update_tx_per_second": round(baseline, 1),
        "sizes": sizes.__dict__,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for the test suite")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    report = asyncio.run(run(sizes))
    met = (
        report["assignments_per_second"] >= TARGET_PER_SECOND
        and report["available_to_offer_ms"]["p99"] <= TARGET_P99_MS
    )
    report |= {
        "targets": {"assignments_per_second": TARGET_PER_SECOND, "p99_ms": TARGET_P99_MS, "met": met},
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
        },
    }
    latency = report["available_to_offer_ms"]
    print(f"assignments/s (offer+accept+complete): {report['assignments_per_second']:>10}")
    print(f"baseline raw single-row UPDATE tx/s:   {report['baseline_single_row_update_tx_per_second']:>10}")
    print(f"available -> offer ms p50/p99/max:     {latency['p50']} / {latency['p99']} / {latency['max']}")
    print(f"bench process CPU ms per assignment:   {report['cpu_ms_per_assignment']:>10}")
    print(f"1-minute load average at the end:      {report['load_average_1m']:>10}")
    print(json.dumps(report, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
