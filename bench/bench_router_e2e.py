"""End-to-end benchmark of the router on PostgreSQL, against raw asyncpg in the same run.

    .venv/bin/python -m bench.bench_router_e2e            # 3,000 chats, 60 officials, both modes
    .venv/bin/python -m bench.bench_router_e2e --quick    # tiny sizes, a few seconds
    .venv/bin/python -m bench.bench_router_e2e --official-processes 2   # one mode only

Two modes, both printed when `--official-processes` is not given:

* split (`--official-processes N`, N >= 1; the headline figure): as in production, the simulated
  officials act from N processes of their own (consoles served by other web processes), through
  `RouterService` on their own pools; offers reach them over a Unix socket (standing in for
  socket.io) and the engine's process hears of their completions by NOTIFY, as from any process.
* all-in-one (`--official-processes 0`): officials and engine share one process and one core.

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
* CPU ms per assignment: the benchmark processes' CPU time over the throughput phase divided by
  the items (PostgreSQL's own CPU is not in it), in total and, split, for the engine's process and
  for the officials' (their accept + complete: the price of those two transactions); with the
  1-minute load average, to compare runs on a shared machine. `--session-per-step` makes the
  officials open an ORM session in each step, the path accept and complete took before they ran
  on a bare connection, to measure the difference.

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
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import text

from contact_center.app import GC_THRESHOLDS
from contact_center.core.clock import SystemClock
from contact_center.core.db import migrate
from contact_center.core.db.engine import create_engine, session_factory
from contact_center.core.db.models import (
    Conversation,
    Official,
    OfficialCapacity,
    OfficialSkill,
    Queue,
    QueueSkill,
    Skill,
)
from contact_center.core.db.routing_models import RoutingSettings
from contact_center.core.events import Event
from contact_center.core.officials import Presence
from contact_center.core.uow import UnitOfWork, UnitOfWorkFactory
from routing.bus import RoutingNotifier
from routing.engine import RoutingEngine
from routing.persistence import Setup, load_setup
from routing.service import NewWorkItem, RouterService

ADMIN_DSN = os.environ.get("BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
TARGET_PER_SECOND = 500.0
TARGET_P99_MS = 50.0
ROOT = Path(__file__).resolve().parent.parent


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
        # Split mode: offers go to the officials' processes instead of the local queue.
        self.forward: Callable[[dict[str, Any]], None] | None = None

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
                offer = dict(event.payload, official_id=official)
                if self.forward is not None:
                    self.forward(offer)
                else:
                    self.offers.put_nowait(offer)


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


async def _accept_and_complete(
    router: RouterService, uow_factory: UnitOfWorkFactory, offer: dict[str, Any], session_per_step: bool
) -> int:
    """What an official's console does with an offer: accept it, then complete the work (no
    wrap-up), each step its own committed transaction."""
    async with uow_factory() as uow:
        if session_per_step:
            uow.session  # noqa: B018 - opened first: the ORM session path, for comparison
        assignment = await router.accept(uow, offer["offer_id"], offer["official_id"])
        await uow.commit()
    async with uow_factory() as uow:
        if session_per_step:
            uow.session  # noqa: B018
        await router.complete(uow, assignment.work_item_id, offer["official_id"])
        await uow.commit()
    return assignment.work_item_id


async def _official_worker(
    router: RouterService,
    uow_factory: UnitOfWorkFactory,
    offers: asyncio.Queue[dict[str, Any]],
    done: Callable[[int], None],
    session_per_step: bool,
) -> None:
    while True:
        offer = await offers.get()
        try:
            done(await _accept_and_complete(router, uow_factory, offer, session_per_step))
        except Exception as exc:  # counted and shown: the benchmark must not hang on one failure
            print(f"official worker: {exc!r}", file=sys.stderr)


@dataclass
class Progress:
    target: int
    done: int = 0
    finished: asyncio.Event = field(default_factory=asyncio.Event)

    def count(self, _work_item_id: int) -> None:
        self.done += 1
        if self.done >= self.target:
            self.finished.set()


async def _throughput(
    router: RouterService,
    uow_factory: UnitOfWorkFactory,
    sink: OfferSink,
    officials: list[int],
    sizes: Sizes,
    remote: RemoteOfficials | None,
    session_per_step: bool,
) -> Throughput:
    await _enqueue(router, uow_factory, sizes.items)
    progress = Progress(sizes.items)
    workers = []
    if remote is None:
        workers = [
            asyncio.create_task(
                _official_worker(router, uow_factory, sink.offers, progress.count, session_per_step)
            )
            for _ in range(sizes.workers)
        ]
    else:
        remote.progress = progress
        sink.forward = remote.deliver
    start, cpu_start = time.perf_counter(), time.process_time()
    for official in officials:
        async with uow_factory() as uow:
            await router.set_presence(uow, official, Presence.AVAILABLE)
            await uow.commit()
    await progress.finished.wait()
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    sink.forward = None
    for worker in workers:
        worker.cancel()
    await asyncio.gather(*workers, return_exceptions=True)
    remote_cpu = await remote.stop() if remote is not None else None
    for official in officials:
        async with uow_factory() as uow:
            await router.set_presence(uow, official, Presence.AWAY, "fin")
            await uow.commit()
    per_item = 1000 / sizes.items
    officials_ms = None if remote_cpu is None else remote_cpu * per_item
    return Throughput(sizes.items / elapsed, cpu * per_item, officials_ms)


@dataclass(frozen=True)
class Throughput:
    per_second: float
    # The engine process's CPU (engine, broadcasts and, all-in-one, the simulated officials; not
    # PostgreSQL's) per item: what the router costs, less distorted by other load than the rate.
    engine_process_cpu_ms: float
    # Split mode: the officials' processes' CPU per item (their accept + complete); else None.
    officials_cpu_ms: float | None

    @property
    def cpu_ms_per_assignment(self) -> float:
        return self.engine_process_cpu_ms + (self.officials_cpu_ms or 0.0)


class RemoteOfficials:
    """Simulated officials in processes of their own, as consoles served by other web processes.

    Offers reach them over a Unix socket (one JSON line per offer; an official belongs to one
    process, as a console to its server) and each completion comes back as a line to count it.
    The engine's process learns of their completions only by NOTIFY, as from any other process."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.progress: Progress | None = None
        self._dir = tempfile.TemporaryDirectory(prefix="bench_router_")
        self._path = str(Path(self._dir.name) / "offers.sock")
        self._writers: list[asyncio.StreamWriter] = []
        self._readers: list[asyncio.Task[float]] = []
        self._processes: list[asyncio.subprocess.Process] = []
        self._connected = asyncio.Event()
        self._server: asyncio.Server | None = None

    async def start(self, url: str, sizes: Sizes, session_per_step: bool) -> None:
        self._server = await asyncio.start_unix_server(self._accepted, self._path)
        workers = max(1, sizes.workers // self.count)
        for _ in range(self.count):
            args = ["--officials-process", self._path, url, str(workers)]
            args += ["--session-per-step"] if session_per_step else []
            self._processes.append(
                await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bench.bench_router_e2e", *args, cwd=ROOT
                )
            )
        await asyncio.wait_for(self._connected.wait(), 60)

    async def _accepted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()  # "ready": its pool is connected
        self._writers.append(writer)
        self._readers.append(asyncio.create_task(self._read(reader)))
        if len(self._writers) == self.count:
            self._connected.set()

    async def _read(self, reader: asyncio.StreamReader) -> float:
        """Counts completions; returns the process's CPU seconds, its last line."""
        while line := await reader.readline():
            kind, value = line.decode().split()
            if kind == "cpu":
                return float(value)
            if self.progress is not None:
                self.progress.count(int(value))
        raise RuntimeError("an officials' process ended without reporting its CPU")

    def deliver(self, offer: dict[str, Any]) -> None:
        writer = self._writers[offer["official_id"] % self.count]
        writer.write(json.dumps(offer).encode() + b"\n")

    async def stop(self) -> float:
        """Stops the processes; their CPU seconds since they were ready, summed."""
        for writer in self._writers:
            writer.write(b"stop\n")
        cpu = sum(await asyncio.gather(*self._readers))
        for writer in self._writers:
            writer.close()
        await asyncio.gather(*(process.wait() for process in self._processes))
        if self._server is not None:
            self._server.close()
        self._dir.cleanup()
        return cpu

    def kill(self) -> None:
        for process in self._processes:
            if process.returncode is None:
                process.kill()


class _DiscardEvents:
    """The officials' processes' sockets: nobody listens in the benchmark."""

    async def publish(self, events: Sequence[Event]) -> None:
        return None


class _SetupOnce:
    """The queues and settings read once, as a console process's engine keeps them cached."""

    def __init__(self) -> None:
        self._setup: Setup | None = None

    async def __call__(self, uow: UnitOfWork) -> Setup:
        if self._setup is None:
            self._setup = await load_setup(uow)
        return self._setup


async def _officials_process(path: str, url: str, workers: int, session_per_step: bool) -> None:
    """One officials' process: accept and complete every offer that arrives, through the service."""
    db = create_engine(url, pool_size=workers + 2)
    uow_factory = UnitOfWorkFactory(session_factory(db), RoutingNotifier(_DiscardEvents()), SystemClock())
    router = RouterService(_SetupOnce(), origin=f"bench-officials-{os.getpid()}")
    try:
        await asyncio.gather(*(_warm(uow_factory) for _ in range(workers)))
        reader, writer = await asyncio.open_unix_connection(path)
        gc.collect()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)
        offers: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        done = lambda work_item_id: writer.write(f"done {work_item_id}\n".encode())  # noqa: E731
        tasks = [
            asyncio.create_task(_official_worker(router, uow_factory, offers, done, session_per_step))
            for _ in range(workers)
        ]
        cpu_start = time.process_time()
        writer.write(b"ready\n")
        while (line := await reader.readline()) and line != b"stop\n":
            offers.put_nowait(json.loads(line))
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        writer.write(f"cpu {time.process_time() - cpu_start}\n".encode())
        await writer.drain()
        writer.close()
    finally:
        await db.dispose()


async def _warm(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        await (await uow.connection()).execute(text("SELECT 1"))
        await asyncio.sleep(0.05)  # held a moment, so the pool opens one connection per worker


async def _latency(
    router: RouterService,
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


async def run(sizes: Sizes, official_processes: int = 1, session_per_step: bool = False) -> dict[str, Any]:
    name = f"bench_router_{os.getpid()}"
    dsn = await _create_db(name)
    url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
    remote = RemoteOfficials(official_processes) if official_processes > 0 else None
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
        if remote is not None:
            await remote.start(url, sizes, session_per_step)
        await engine.start()
        # The heap of start-up frozen and young collections spaced, as `contact-center serve` does
        # once started (`contact_center.app._freeze_startup_heap`): the engine runs in that process.
        gc.collect()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)
        try:
            throughput = await _throughput(
                router, uow_factory, sink, officials, sizes, remote, session_per_step
            )
            while not sink.offers.empty():
                sink.offers.get_nowait()
            latencies = await _latency(router, uow_factory, sink, officials, sizes)
        finally:
            await engine.stop()
            await db.dispose()
        baseline = await _baseline(dsn, sizes.baseline_updates)
    finally:
        if remote is not None:
            remote.kill()
        await _drop_db(name)
    return {
        "official_processes": official_processes,
        "assignments_per_second": round(throughput.per_second, 1),
        "cpu_ms_per_assignment": round(throughput.cpu_ms_per_assignment, 2),
        "engine_process_cpu_ms_per_assignment": round(throughput.engine_process_cpu_ms, 2),
        "officials_processes_cpu_ms_per_assignment": None
        if throughput.officials_cpu_ms is None
        else round(throughput.officials_cpu_ms, 2),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "available_to_offer_ms": {
            "p50": round(statistics.median(latencies), 2),
            "p99": round(_p(latencies, 0.99), 2),
            "max": round(max(latencies), 2),
        },
        "baseline_single_row_update_tx_per_second": round(baseline, 1),
        "sizes": sizes.__dict__,
    }


def _met(report: dict[str, Any]) -> bool:
    return bool(
        report["assignments_per_second"] >= TARGET_PER_SECOND
        and report["available_to_offer_ms"]["p99"] <= TARGET_P99_MS
    )


def _print(report: dict[str, Any]) -> None:
    latency = report["available_to_offer_ms"]
    processes = report["official_processes"]
    mode = f"officials in {processes} process(es) of their own" if processes else "all in one process"
    print(f"-- {mode}")
    print(f"assignments/s (offer+accept+complete): {report['assignments_per_second']:>10}")
    print(f"baseline raw single-row UPDATE tx/s:   {report['baseline_single_row_update_tx_per_second']:>10}")
    print(f"available -> offer ms p50/p99/max:     {latency['p50']} / {latency['p99']} / {latency['max']}")
    print(f"bench CPU ms per assignment (total):   {report['cpu_ms_per_assignment']:>10}")
    if processes:
        print(
            f"  engine process / officials' procs:   {report['engine_process_cpu_ms_per_assignment']} / "
            f"{report['officials_processes_cpu_ms_per_assignment']}"
        )
    print(f"1-minute load average at the end:      {report['load_average_1m']:>10}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for the test suite")
    parser.add_argument(
        "--official-processes",
        type=int,
        default=None,
        help="simulated officials' processes (0: in the engine's process); both 1 and 0 if not given",
    )
    parser.add_argument(
        "--session-per-step", action="store_true", help="officials open an ORM session per step (before)"
    )
    parser.add_argument(
        "--officials-process", nargs=3, metavar=("SOCKET", "URL", "WORKERS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.officials_process:
        path, url, workers = args.officials_process
        asyncio.run(_officials_process(path, url, int(workers), args.session_per_step))
        return 0
    if args.official_processes is not None and args.official_processes < 0:
        parser.error("--official-processes must be 0 or more")
    sizes = QUICK if args.quick else FULL
    modes = [1, 0] if args.official_processes is None else [args.official_processes]
    reports = [asyncio.run(run(sizes, mode, args.session_per_step)) for mode in modes]
    report, others = reports[0], reports[1:]
    report |= {
        "other_modes": others,
        "targets": {
            "assignments_per_second": TARGET_PER_SECOND,
            "p99_ms": TARGET_P99_MS,
            "met": _met(report),
        },
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
        },
    }
    for each in reports:
        _print(each)
    print(json.dumps(report, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
