"""PQRD report and CSV import: how long a report takes over many tickets, and import throughput.

Baselines measured in the same run: the report (SQL aggregates grouped in the database) against a
naive report that loads every ticket of the period and its events and counts in Python (both must
give the same totals); the import against its own validation-only dry run.

    .venv/bin/python -m bench.bench_reports [--quick] [--tickets N] [--rows M] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from contact_center.core.clock import BOGOTA, FakeClock
from contact_center.core.db import migrate
from contact_center.core.db.engine import create_engine, session_factory
from contact_center.core.db.models import Dependencia, Ticket, TicketEvent
from contact_center.core.notifier import RecordingNotifier
from contact_center.core.uow import UnitOfWork, UnitOfWorkFactory
from contact_center.pqrd.domain.calendar import bogota_date
from contact_center.pqrd.domain.legal_clock import PqrdType
from contact_center.pqrd.domain.tickets import CLOCK_RUNNING_STATUSES
from contact_center.pqrd.services.imports import import_tickets
from contact_center.pqrd.services.reports import PENDING_STATUSES, GroupBy, ReportQuery, pqrd_report
from contact_center.pqrd.services.tickets import Actor
from contact_center.seed import seed_demo

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
FIRST_DAY = date(2026, 8, 1)
DAYS = 100
CHANNELS = ("web", "app", "voice", "chat", "email", "presencial")
# (status, weight, answered, extended)
OUTCOMES = (
    ("cerrado", 40, True, False),
    ("respondido", 10, True, False),
    ("en_tramite", 20, False, False),
    ("radicado", 10, False, False),
    ("prorrogado", 8, False, True),
    ("trasladado", 6, False, False),
    ("desistido", 6, False, False),
)


async def _populate(factory: UnitOfWorkFactory, tickets: int, rng: random.Random) -> None:
    async with factory() as uow:
        await seed_demo(uow)
    async with factory() as uow:
        deps = list((await uow.session.scalars(select(Dependencia.id))).all())
        rows, outcomes = [], []
        for n in range(1, tickets + 1):
            received = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
            filed_at = datetime.combine(received, datetime.min.time(), BOGOTA) + timedelta(hours=9)
            status, _, answered, extended = rng.choices(OUTCOMES, [o[1] for o in OUTCOMES])[0]
            due = received + timedelta(days=21)
            rows.append(_ticket(n, rng, received, filed_at, due, status, deps))
            outcomes.append((filed_at, answered, extended))
        await uow.session.execute(insert(Ticket), rows)
        ids = {r: i for r, i in (await uow.session.execute(select(Ticket.radicado, Ticket.id))).all()}
        events = []
        for row, (filed_at, answered, extended) in zip(rows, outcomes, strict=True):
            ticket_id = ids[row["radicado"]]
            if answered:
                answered_at = filed_at + timedelta(days=rng.randrange(1, 30))
                events.append(_event(ticket_id, 1, answered_at, "respondido"))
            if extended:
                events.append(_event(ticket_id, 1, filed_at + timedelta(days=5), "prorrogado"))
        if events:
            await uow.session.execute(insert(TicketEvent), events)
        await uow.commit()


def _ticket(
    n: int, rng: random.Random, received: date, filed_at: datetime, due: date, status: str, deps: list[int]
) -> dict[str, Any]:
    return {
        "radicado": f"B{n}",
        "pqrd_type": rng.choice(list(PqrdType)).value,
        "subject": "s",
        "description": "d",
        "channel": rng.choice(CHANNELS),
        "status": status,
        "dependencia_id": rng.choice(deps),
        "anonymous": False,
        "priority_flags": [],
        "filed_at": filed_at,
        "received_on": received,
        "term_days": 15,
        "due_date": due,
        "original_due_date": due,
        "clock": {},
        "access_code_hash": "x",
        "notify_by_email": False,
        "escalation_step": 0,
        "created_at": filed_at,
        "updated_at": filed_at,
    }


def _event(ticket_id: int, seq: int, at: datetime, to_status: str) -> dict[str, Any]:
    return {
        "ticket_id": ticket_id,
        "seq": seq,
        "at": at,
        "actor_kind": "system",
        "kind": "status_changed",
        "to_status": to_status,
        "public": True,
        "data": {},
        "hash": "bench",
    }


async def naive_totals(uow: UnitOfWork, query: ReportQuery) -> dict[str, int]:
    """The baseline: every ticket of the period and its events, counted in Python."""
    tickets = (
        await uow.session.scalars(
            select(Ticket).where(Ticket.received_on >= query.start, Ticket.received_on <= query.end)
        )
    ).all()
    ids = [t.id for t in tickets]
    events: dict[int, list[TicketEvent]] = {}
    for chunk in range(0, len(ids), 5000):
        rows = await uow.session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id.in_(ids[chunk : chunk + 5000]))
        )
        for event in rows:
            events.setdefault(event.ticket_id, []).append(event)
    today = bogota_date(uow.clock.now())
    totals = dict.fromkeys(("received", "answered", "pending", "pending_overdue", "extended"), 0)
    running = {s.value for s in CLOCK_RUNNING_STATUSES}
    for t in tickets:
        mine = events.get(t.id, [])
        totals["received"] += 1
        totals["answered"] += any(e.to_status == "respondido" for e in mine)
        totals["pending"] += t.status in {s.value for s in PENDING_STATUSES}
        totals["pending_overdue"] += t.status in running and t.due_date < today
        totals["extended"] += any(e.to_status == "prorrogado" for e in mine)
    return totals


async def _best_of(times: int, action: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(times):
        started = time.perf_counter()
        result = await action()
        best = min(best, time.perf_counter() - started)
    return best, result


def _csv(rows: int) -> bytes:
    lines = ["radicado_original;tipo;asunto;descripcion;fecha_radicacion;dependencia;nombre;numero_documento"]
    for n in range(rows):
        day = FIRST_DAY + timedelta(days=n % DAYS)
        lines.append(
            f"B-{n};peticion;Asunto {n};Descripción {n};{day} 09:00;transito;Persona {n};{10_000_000 + n}"
        )
    return ("\n".join(lines) + "\n").encode()


async def run(tickets: int, rows: int, database_url: str | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await migrate.upgrade_async(url)
        engine = create_engine(url)
        try:
            factory = UnitOfWorkFactory(session_factory(engine), RecordingNotifier(), FakeClock(NOW))
            await _populate(factory, tickets, random.Random(195))
            return await _measure(factory, tickets, rows)
        finally:
            await engine.dispose()


async def _measure(factory: UnitOfWorkFactory, tickets: int, rows: int) -> dict[str, Any]:
    query = ReportQuery(FIRST_DAY, FIRST_DAY + timedelta(days=DAYS - 1), GroupBy.WEEK)

    async def report() -> Any:
        async with factory() as uow:
            return await pqrd_report(uow, query)

    async def naive() -> Any:
        async with factory() as uow:
            return await naive_totals(uow, query)

    report_s, rep = await _best_of(3, report)
    naive_s, base = await _best_of(3, naive)
    same = all(getattr(rep.totals, k) == v for k, v in base.items())
    data = _csv(rows)

    async def importing(dry_run: bool) -> Any:
        async with factory() as uow:
            return await import_tickets(
                uow, data, source="b.csv", secret=b"k", actor=Actor("system"), dry_run=dry_run
            )

    validate_s, _ = await _best_of(1, lambda: importing(True))
    import_s, imported = await _best_of(1, lambda: importing(False))
    return {
        "bench": "reports",
        "tickets": tickets,
        "received_in_period": rep.totals.received,
        "report_ms": round(report_s * 1000, 1),
        "naive_report_ms": round(naive_s * 1000, 1),
        "speedup": round(naive_s / report_s, 2),
        "same_totals": same,
        "import_rows": rows,
        "imported": len(imported.imported),
        "import_rows_per_s": round(rows / import_s, 1),
        "validate_rows_per_s": round(rows / validate_s, 1),
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="bench.bench_reports")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, a few seconds")
    parser.add_argument("--tickets", type=int)
    parser.add_argument("--rows", type=int)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    args = parser.parse_args(argv)
    tickets = args.tickets or (300 if args.quick else 50_000)
    rows = args.rows or (20 if args.quick else 1_000)
    result = asyncio.run(run(tickets, rows, args.database_url))
    print(
        f"report over {result['received_in_period']} tickets: {result['report_ms']} ms "
        f"(naive load-everything baseline {result['naive_report_ms']} ms, x{result['speedup']})"
    )
    print(
        f"import of {rows} rows: {result['import_rows_per_s']} rows/s "
        f"(validation only: {result['validate_rows_per_s']} rows/s)"
    )
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
