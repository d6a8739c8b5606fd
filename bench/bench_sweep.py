"""The escalation sweep at city scale: the due-ticket query and the enqueueing of its jobs on RQ.

Bulk-loads open tickets with COPY into a benchmark database of its own (created and dropped here),
then measures, at two sizes (100,000 and 1,000,000 open tickets; --quick: 200 and 2,000):
  - the sweep's query (`services.escalation.due_tickets`) for the due ones, through the partial
    index, against a baseline measured in the same run: the same query with index scans disabled;
  - enqueueing the due tickets' escalation jobs on RQ (the real `sweep`), against a baseline of one
    `Jobs.enqueue` call (one thread hop) per job.
Targets: query ≤ 1 s with 1,000,000 open and 10,000 due; ≥ 500 jobs enqueued per second.

    .venv/bin/python -m bench.bench_sweep [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from contact_center.core.clock import FakeClock
from contact_center.core.config import load_settings
from contact_center.core.db import migrate
from contact_center.core.db.engine import create_engine, session_factory
from contact_center.core.jobs.rq_jobs import RqJobs
from contact_center.core.notifier import RecordingNotifier
from contact_center.core.uow import UnitOfWorkFactory
from contact_center.pqrd.services.escalation import ESCALATE_JOB, due_tickets, escalate_job_id, sweep

ADMIN_DSN = os.environ.get("TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
QUERY_TARGET_S, ENQUEUE_TARGET_PER_S = 1.0, 500.0
COLUMNS = [
    "radicado", "pqrd_type", "subject", "description", "channel", "status", "dependencia_id", "anonymous",
    "priority_flags", "filed_at", "received_on", "term_days", "due_date", "original_due_date", "clock",
    "access_code_hash", "notify_by_email", "next_escalation_at", "escalation_step", "created_at",
    "updated_at",
]  # fmt: skip


def _rows(start: int, count: int, due_every: int) -> list[tuple[Any, ...]]:
    """Open tickets; one in `due_every` is due now, the rest escalate within the next 30 days."""
    rows = []
    for n in range(start, start + count):
        due = n % due_every == 0
        nxt = NOW - timedelta(minutes=1 + n % 600) if due else NOW + timedelta(minutes=1 + n % 43_000)
        filed = NOW - timedelta(days=n % 20)
        rows.append((
            f"2026{n:07d}", "peticion", "Asunto", "Descripción", "web", "en_tramite", 1, False, "[]",
            filed, filed.date(), 15, date(2026, 12, 15), date(2026, 12, 15), "{}", "h", False, nxt, 0,
            filed, filed,
        ))  # fmt: skip
    return rows


async def _load(dsn: str, start: int, count: int, due_every: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        chunk = 100_000
        for offset in range(start, start + count, chunk):
            size = min(chunk, start + count - offset)
            await conn.copy_records_to_table(
                "tickets", records=_rows(offset, size, due_every), columns=COLUMNS
            )
        await conn.execute("ANALYZE tickets")
    finally:
        await conn.close()


async def _query_seconds(uows: UnitOfWorkFactory, limit: int, repeat: int) -> tuple[float, int]:
    times, found = [], 0
    for _ in range(repeat):
        async with uows() as uow:
            began = time.perf_counter()
            found = len(await due_tickets(uow, NOW, limit))
            times.append(time.perf_counter() - began)
    return statistics.median(times), found


async def _baseline_query_seconds(dsn: str, limit: int) -> tuple[float, str]:
    """The same query with index scans off: what the sweep would cost without its index."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "SET enable_indexscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = off"
        )
        began = time.perf_counter()
        await conn.fetch(_SQL, NOW, limit)
        seconds = time.perf_counter() - began
        plan = "\n".join(r[0] for r in await conn.fetch("EXPLAIN " + _SQL, NOW, limit))
        return seconds, plan
    finally:
        await conn.close()


_SQL = (
    "SELECT id, escalation_step FROM tickets WHERE next_escalation_at <= $1"
    " ORDER BY next_escalation_at LIMIT $2"
)


async def _explain(dsn: str, limit: int) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        return "\n".join(r[0] for r in await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + _SQL, NOW, limit))
    finally:
        await conn.close()


async def _enqueue(uows: UnitOfWorkFactory, jobs: RqJobs, due: int) -> dict[str, float]:
    """The real sweep (query + batch enqueue) vs one `enqueue` call per job, on fresh job ids."""
    jobs.queue.empty()
    began = time.perf_counter()
    async with uows() as uow:
        swept = await sweep(uow, jobs, limit=due)
    batch_s = time.perf_counter() - began
    assert len(jobs.queue) == swept, "every due ticket has its job"
    jobs.queue.empty()
    async with uows() as uow:
        due_ids = await due_tickets(uow, NOW, due)
    began = time.perf_counter()
    for ticket_id, step in due_ids:
        await jobs.enqueue(ESCALATE_JOB, ticket_id, step, job_id=escalate_job_id(ticket_id, step) + ":b")
    one_by_one_s = time.perf_counter() - began
    jobs.queue.empty()
    return {
        "swept": swept,
        "sweep_jobs_per_s": swept / batch_s,
        "one_by_one_jobs_per_s": len(due_ids) / one_by_one_s,
    }


async def _run(dsn: str, url: str, sizes: Sequence[int], due: int) -> dict[str, Any]:
    conn = await asyncpg.connect(dsn)
    await conn.execute(
        "INSERT INTO dependencias (id, code, name, is_triage) VALUES (1, 'bench', 'Bench', false)"
    )
    await conn.close()
    engine = create_engine(url, pool_size=2)
    uows = UnitOfWorkFactory(session_factory(engine), RecordingNotifier(), FakeClock(NOW))
    settings = load_settings(
        database_url=url,
        redis_url=REDIS_URL,
        redis_namespace=f"bench_sweep_{secrets.token_hex(3)}",
        secret_key="bench-secret-key-of-at-least-32-bytes",
    )
    jobs = RqJobs(settings)
    out: dict[str, Any] = {"due": due, "sizes": {}}
    loaded = 0
    try:
        for size in sizes:
            await _load(dsn, loaded, size - loaded, max(1, size // due))
            loaded = size
            seconds, found = await _query_seconds(uows, due, repeat=5)
            baseline, _ = await _baseline_query_seconds(dsn, due)
            out["sizes"][str(size)] = {
                "query_s": seconds,
                "due_found": found,
                "baseline_seq_scan_s": baseline,
            }
            print(f"{size:>9,} open: sweep query {seconds * 1000:8.1f} ms for {found:,} due "
                  f"(no index: {baseline * 1000:8.1f} ms)")  # fmt: skip
        out["explain"] = await _explain(dsn, due)
        out["uses_index"] = "ix_tickets_next_escalation_at" in out["explain"]
        out["enqueue"] = await _enqueue(uows, jobs, due)
    finally:
        jobs.queue.empty()
        await engine.dispose()
    return out


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="bench.bench_sweep")
    parser.add_argument("--quick", action="store_true", help="200 and 2,000 tickets, 100 due")
    args = parser.parse_args(argv)
    sizes, due = ([200, 2_000], 100) if args.quick else ([100_000, 1_000_000], 10_000)
    name = f"p195_bench_sweep_{os.getpid()}_{secrets.token_hex(2)}"
    dsn = ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
        migrate.upgrade(url)
        result = asyncio.run(_run(dsn, url, sizes, due))
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    small, large = (result["sizes"][str(s)] for s in sizes)
    enqueue = result["enqueue"]
    print(result["explain"])
    print(f"enqueue on RQ: sweep {enqueue['sweep_jobs_per_s']:,.0f} jobs/s "
          f"(one call per job: {enqueue['one_by_one_jobs_per_s']:,.0f} jobs/s)")  # fmt: skip
    figures = {
        "bench": "sweep",
        "quick": args.quick,
        "open_small": sizes[0],
        "open_large": sizes[1],
        "due": due,
        "query_s_small": round(small["query_s"], 5),
        "query_s_large": round(large["query_s"], 5),
        "query_growth": round(large["query_s"] / small["query_s"], 2),
        "baseline_seq_scan_s_large": round(large["baseline_seq_scan_s"], 5),
        "due_found": large["due_found"],
        "uses_index": result["uses_index"],
        "sweep_jobs_per_s": round(enqueue["sweep_jobs_per_s"], 1),
        "one_by_one_jobs_per_s": round(enqueue["one_by_one_jobs_per_s"], 1),
        "swept": enqueue["swept"],
        "query_target_met": large["query_s"] <= QUERY_TARGET_S,
        "enqueue_target_met": enqueue["sweep_jobs_per_s"] >= ENQUEUE_TARGET_PER_S,
    }
    print(json.dumps(figures))
    return figures


async def _admin(statement: str) -> None:
    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


if __name__ == "__main__":
    main()
