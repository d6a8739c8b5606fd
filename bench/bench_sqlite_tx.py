"""Loop↔thread hand-offs and CPU per SQLite transaction: unit of work vs raw aiosqlite.

`python -m bench.bench_sqlite_tx [--transactions N] [--quick]` runs a one-statement and a
five-statement write transaction through `UnitOfWork.connection()` (Core), through the ORM
session, and through raw aiosqlite (BEGIN IMMEDIATE, the INSERTs, COMMIT on one connection),
and prints, per transaction, how many callables were queued to aiosqlite's thread and the
process CPU (both threads) spent. The unit of work should need no more hand-offs than raw
aiosqlite: BEGIN IMMEDIATE, one per statement, COMMIT (`persistence/sqlite_driver.py`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import aiosqlite
from sqlalchemy import Column, Integer, MetaData, String, Table, insert

from contact_center.core.clock import SystemClock
from contact_center.core.db.engine import create_engine, session_factory
from contact_center.core.uow import UnitOfWork

metadata = MetaData()
notes = Table("bench_note", metadata, Column("id", Integer, primary_key=True), Column("body", String))


class _NoEvents:
    async def publish(self, events: Any) -> None:  # pragma: no cover - nothing is emitted
        return None


class HandOffCounter:
    """Counts every callable queued to an aiosqlite connection's worker thread."""

    def __init__(self) -> None:
        self.count = 0
        self._original = aiosqlite.core.Connection._execute

    def install(self) -> None:
        original = self._original

        async def counted(conn: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return await original(conn, fn, *args, **kwargs)  # type: ignore[no-untyped-call]

        aiosqlite.core.Connection._execute = counted  # type: ignore[method-assign,assignment]


async def _measure(
    name: str, counter: HandOffCounter, transactions: int, one: Callable[[], Awaitable[None]]
) -> dict[str, float]:
    for _ in range(20):  # warm caches and the pooled connection
        await one()
    counter.count = 0
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(transactions):
        await one()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    figures = {
        "hand_offs_per_tx": counter.count / transactions,
        "cpu_ms_per_tx": round(cpu / transactions * 1e3, 3),
        "wall_ms_per_tx": round(wall / transactions * 1e3, 3),
    }
    print(
        f"{name:<28} hand-offs/tx {figures['hand_offs_per_tx']:5.1f}   "
        f"CPU/tx {figures['cpu_ms_per_tx']:6.3f} ms   wall/tx {figures['wall_ms_per_tx']:6.3f} ms"
    )
    return figures


async def run(transactions: int) -> dict[str, dict[str, float]]:
    counter = HandOffCounter()
    counter.install()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bench.db"
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        sessions = session_factory(engine)

        def core(statements: int) -> Callable[[], Awaitable[None]]:
            async def one() -> None:
                async with UnitOfWork(sessions, _NoEvents(), SystemClock()) as uow:
                    conn = await uow.connection()
                    for _ in range(statements):
                        await conn.execute(insert(notes).values(body="x"))
                    await uow.commit()

            return one

        def orm(statements: int) -> Callable[[], Awaitable[None]]:
            async def one() -> None:
                async with UnitOfWork(sessions, _NoEvents(), SystemClock()) as uow:
                    for _ in range(statements):
                        await uow.session.execute(insert(notes).values(body="x"))
                    await uow.commit()

            return one

        for statements in (1, 5):
            for name, one in (("uow Core", core), ("uow session", orm)):
                key = f"{name}, {statements} stmt"
                results[key] = await _measure(key, counter, transactions, one(statements))
        await engine.dispose()

        async with aiosqlite.connect(path, isolation_level=None) as raw:

            def raw_tx(statements: int) -> Callable[[], Awaitable[None]]:
                async def one() -> None:
                    await raw.execute("BEGIN IMMEDIATE")
                    for _ in range(statements):
                        await raw.execute("INSERT INTO bench_note (body) VALUES (?)", ("x",))
                    await raw.execute("COMMIT")

                return one

            for statements in (1, 5):
                key = f"raw aiosqlite, {statements} stmt"
                results[key] = await _measure(key, counter, transactions, raw_tx(statements))
    return results


def main(argv: Sequence[str] | None = None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transactions", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="a few transactions, for the tests")
    args = parser.parse_args(argv)
    results = asyncio.run(run(50 if args.quick else args.transactions))
    print(f"load average (1 min): {os.getloadavg()[0]:.2f}")
    print(json.dumps(results))
    return results


if __name__ == "__main__":
    main()
