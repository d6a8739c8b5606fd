"""AMI events APPLIED per second: the Asterisk 22 capture replayed in a loop into the AMI mirror.

Two figures. `db_applied_per_s`: typed events (already parsed) handed straight to `AmiMirror` and
written to the database in its batches, per second; the target (5,000/s) is on this one. Then the
whole path, end to end:

Every typed event crosses loopback TCP, panoramisk's framing, the parser, the ordered delivery and
`AmiMirror`, which writes conversations, call events and queue figures in batched transactions.
Each loop of the capture is renamed (uniqueid/linkedid get a loop suffix) so that every loop is a
new call and every event a new row: replaying the same ids would only measure the duplicate check.
The baseline, measured in the same run, is `bench.bench_ami`'s counting sink (parse + dispatch).

    .venv/bin/python -m bench.bench_ami_mirror [--quick] [--events N] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.bench_ami import run as run_counting
from channels.asterisk.events import CallEvent, ChannelEvent, parse_event
from channels.asterisk.mirror import AmiMirror
from contact_center.core.clock import SystemClock
from contact_center.core.db import migrate
from contact_center.core.db.engine import create_engine, session_factory
from contact_center.core.notifier import RecordingNotifier
from contact_center.core.uow import UnitOfWorkFactory
from tests.asterisk_peer import load_capture

TARGET_PER_S = 5_000


def _typed_events() -> list[CallEvent]:
    typed = []
    for raw in load_capture().events:
        headers = dict(line.split(": ", 1) for line in raw.decode().split("\r\n") if ": " in line)
        event = parse_event(headers)
        if event is not None:
            typed.append(event)
    return typed


def _typed_per_loop() -> int:
    return len(_typed_events())


async def run_db_only(typed_events: int, database_url: str) -> dict[str, Any]:
    """Typed events straight into the mirror: database writes only, no socket and no parsing."""
    await migrate.upgrade_async(database_url)  # a fresh SQLite file, or a PostgreSQL database to bring up
    loop_events = _typed_events()
    loops = max(1, typed_events // len(loop_events))
    stamp = time.time_ns()  # a fresh call per loop and per run, even on a database reused across runs
    renamed = [
        dataclasses.replace(e, uniqueid=f"{e.uniqueid}-{stamp}-{n}", linkedid=f"{e.linkedid}-{stamp}-{n}")
        if isinstance(e, ChannelEvent) else e
        for n in range(loops) for e in loop_events
    ]  # fmt: skip
    engine = create_engine(database_url)
    try:
        uows = UnitOfWorkFactory(session_factory(engine), RecordingNotifier(), SystemClock())
        mirror = AmiMirror(uows, batch_size=1000)
        started = time.perf_counter()
        for event in renamed:
            await mirror(event)
        await mirror.flush()
        seconds = time.perf_counter() - started
    finally:
        await engine.dispose()
    applied = mirror.stats.applied
    return {"db_typed_events": len(renamed), "db_applied": applied, "db_seconds": round(seconds, 3),
            "db_applied_per_s": round(applied / seconds)}  # fmt: skip


class RenamingSink:
    """Feeds the mirror, renaming each loop of the capture into a call of its own."""

    def __init__(self, mirror: AmiMirror, per_loop: int) -> None:
        self.mirror = mirror
        self.per_loop = per_loop
        self.seen = 0
        self.stamp = time.time_ns()  # new calls even on a database reused across runs

    async def __call__(self, event: CallEvent) -> None:
        loop = self.seen // self.per_loop
        self.seen += 1
        if isinstance(event, ChannelEvent):
            event = dataclasses.replace(
                event,
                uniqueid=f"{event.uniqueid}-{self.stamp}-{loop}",
                linkedid=f"{event.linkedid}-{self.stamp}-{loop}",
            )
        await self.mirror(event)


async def run(events: int, database_url: str) -> dict[str, Any]:
    await migrate.upgrade_async(database_url)  # a fresh SQLite file, or a PostgreSQL database to bring up
    engine = create_engine(database_url)
    try:
        uows = UnitOfWorkFactory(session_factory(engine), RecordingNotifier(), SystemClock())
        mirror = AmiMirror(uows, batch_size=1000)
        sink = RenamingSink(mirror, _typed_per_loop())
        started = time.perf_counter()
        result = await run_counting(events, sink, "mirror")
        await mirror.flush()
        seconds = time.perf_counter() - started
    finally:
        await engine.dispose()
    # The warm-up loop of bench_ami is applied too; count every typed event the mirror wrote.
    applied = mirror.stats.applied
    return {
        "events": result.events, "typed_events": result.typed_events, "applied": applied,
        "batches": mirror.stats.batches, "seconds": round(seconds, 3),
        "applied_per_s": round(applied / seconds), "events_per_s": round(result.events / seconds),
        "handler_errors": result.handler_errors,
    }  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.bench_ami_mirror", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="about 3,000 events")
    parser.add_argument("--events", type=int, help="events to replay (default 100,000)")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args(argv)
    events = args.events or (3_000 if args.quick else 100_000)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'mirror.db'}"
        url = url.replace("postgresql://", "postgresql+asyncpg://", 1)
        db_only = asyncio.run(run_db_only(3_000 if args.quick else 50_000, url))
        baseline = asyncio.run(run_counting(events))
        result = asyncio.run(run(events, url))
    backend = "postgresql" if "postgresql" in url else "sqlite"
    verdict = "met" if db_only["db_applied_per_s"] >= TARGET_PER_S else "NOT met"
    print(f"Typed AMI events applied to the database on {backend} ({db_only['db_typed_events']} events):")
    print(f"  {db_only['db_applied_per_s']:,} /s (target {TARGET_PER_S:,}: {verdict})")
    print(f"AMI capture replayed in a loop into the mirror on {backend}: {result['events']} events")
    print(f"  baseline (parse + dispatch only): {baseline.typed_per_s:,} typed events/s")
    rows = f"{result['applied']} rows in {result['batches']} batches"
    print(f"  applied to conversations, call events and figures: {result['applied_per_s']:,} /s ({rows})")
    print(f"  all AMI events (typed or not) through the mirror: {result['events_per_s']:,} /s")
    figures = {"baseline_typed_per_s": baseline.typed_per_s, "target_per_s": TARGET_PER_S}
    print(json.dumps({"bench": "ami_mirror", "backend": backend, **db_only, **result, **figures}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
