"""The CSV import of old PQRD records: rows per second on SQLite and PostgreSQL, and CPU per row.

For each engine (a temporary SQLite file; a PostgreSQL database of its own, created and dropped
here), on the demo city (`seed-demo`), `import_tickets` files a CSV of N rows (default 20,000, the
import's maximum; --quick: 200) with a mix of citizens (anonymous, repeated e-mails, document
numbers, phones), four dependencias and three types over 500 days; every row must land and the
audit chain must verify. Baselines measured in the same run:
  - raw: the same number of ticket rows and event rows written with two plain Core executemany
    INSERTs in one transaction (what any import costs at least);
  - one filing per row: what the import did before, `find_or_create_citizen` + `file_ticket` per
    row in one transaction, on min(N, 1,000) rows.
CPU: this process's (on SQLite that includes the database's work) and, on PostgreSQL, the server
backend's. Target: >= 500 rows/s on both engines.

    .venv/bin/python -m bench.bench_import [--quick] [--rows N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

from bench.bench_filing import cpu_seconds
from contact_center.citizens.services.identities import CitizenDetails, find_or_create_citizen
from contact_center.core.clock import FakeClock
from contact_center.core.db import migrate
from contact_center.core.db.engine import create_engine, session_factory
from contact_center.core.db.models import Ticket, TicketEvent
from contact_center.core.notifier import RecordingNotifier
from contact_center.core.uow import UnitOfWork, UnitOfWorkFactory
from contact_center.pqrd.domain.legal_clock import PqrdType
from contact_center.pqrd.models.imports import TicketImport
from contact_center.pqrd.services.audit import verify_chains
from contact_center.pqrd.services.imports import import_tickets, parse_filed_at
from contact_center.pqrd.services.tickets import Actor, NewTicket, file_ticket
from contact_center.seed import seed_demo
from tests.support import services

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
FIRST_DAY = date(2025, 6, 1)
TARGET_ROWS_PER_S = 500.0
PER_ROW_MAX = 1_000
SECRET = b"bench-secret"
TYPES = ("peticion", "peticion_documentos", "consulta")
DEPENDENCIAS = ("", "transito", "salud", "hacienda")
HEADER = (
    "radicado_original;tipo;asunto;descripcion;fecha_radicacion;dependencia;"
    "nombre;numero_documento;correo;telefono;anonimo"
)


def _row(prefix: str, n: int) -> list[str]:
    day = FIRST_DAY + timedelta(days=n * 7 % 500)
    citizen = ["", "", "", ""]  # nombre, numero_documento, correo, telefono
    match n % 5:
        case 1:
            citizen = [f"Vecina {n % 500}", "", f"vecina{n % 500}@example.co", ""]
        case 2:
            citizen = [f"Persona {n}", str(10_000_000 + n), "", ""]
        case 3:
            citizen = [f"Persona {n}", "", "", f"300{n:07d}"]
        case 4:
            citizen = [f"Persona {n}", str(20_000_000 + n), "", f"310{n:07d}"]
    return [
        f"{prefix}-{n:06d}",
        TYPES[n % len(TYPES)],
        f"Asunto del registro {n}",
        f"Descripción del registro histórico número {n}, traída del sistema anterior.",
        f"{day} {8 + n % 9:02d}:30",
        DEPENDENCIAS[n % len(DEPENDENCIAS)],
        *citizen,
        "sí" if n % 5 == 0 else "no",
    ]


def make_csv(rows: int, prefix: str = "OLD") -> bytes:
    lines = [HEADER, *(";".join(_row(prefix, n)) for n in range(rows))]
    return ("\n".join(lines) + "\n").encode()


async def _timed(
    action: Callable[[], Awaitable[Any]], backend_pid: int | None
) -> tuple[float, float, float, Any]:
    """(wall s, this process's CPU s, the PostgreSQL backend's CPU s, result)."""
    server_before = cpu_seconds(backend_pid) if backend_pid else 0.0
    wall, cpu = time.perf_counter(), time.process_time()
    result = await action()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    server = (cpu_seconds(backend_pid) - server_before) if backend_pid else 0.0
    return wall, cpu, server, result


async def _backend_pid(uow: UnitOfWork, postgres: bool) -> int | None:
    return int(await uow.session.scalar(text("SELECT pg_backend_pid()")) or 0) if postgres else None


async def _import(factory: UnitOfWorkFactory, data: bytes, postgres: bool) -> dict[str, Any]:
    async with factory() as uow:
        pid = await _backend_pid(uow, postgres)

        async def run() -> Any:
            return await import_tickets(uow, data, source="b.csv", secret=SECRET, actor=Actor("system"))

        wall, cpu, server, report = await _timed(run, pid)
    assert report.ok, report.errors[:5]
    return {"wall": wall, "cpu": cpu, "server": server, "rows": len(report.imported)}


async def _dry_run(factory: UnitOfWorkFactory, data: bytes) -> float:
    async with factory() as uow:

        async def run() -> Any:
            return await import_tickets(
                uow, data, source="b.csv", secret=SECRET, actor=Actor("system"), dry_run=True
            )

        wall, _, _, _ = await _timed(run, None)
    return wall


async def _per_row(factory: UnitOfWorkFactory, rows: int, postgres: bool) -> dict[str, Any]:
    """The import as it was: the full filing path once per row, in one transaction."""
    records = [_row("ONE", n) for n in range(rows)]
    async with factory() as uow:
        pid = await _backend_pid(uow, postgres)

        async def run() -> None:
            for n, r in enumerate(records):
                new = NewTicket(
                    PqrdType(r[1]), r[2], r[3], "import", dependencia_code=r[5] or None,
                    anonymous=r[10] == "sí", filed_at=parse_filed_at(r[4]), original_radicado=r[0],
                )  # fmt: skip
                if r[10] != "sí":
                    name, number, email, phone = (v or None for v in r[6:10])
                    details = CitizenDetails(name, document_number=number, email=email, phone=phone)
                    new = replace(new, citizen_id=(await find_or_create_citizen(uow, details)).id)
                filed = await file_ticket(uow, new, Actor("system"), secret=SECRET)
                uow.session.add(TicketImport(original_radicado=r[0], ticket_id=filed.id, source="one.csv",
                                             source_row=n + 2, imported_at=NOW))  # fmt: skip
            await uow.commit()

        wall, cpu, server, _ = await _timed(run, pid)
    return {"wall": wall, "cpu": cpu, "server": server, "rows": rows}


async def _raw(factory: UnitOfWorkFactory, rows: int, postgres: bool) -> dict[str, Any]:
    """The floor: the same number of ticket and event rows, two Core executemany INSERTs."""
    async with factory() as uow:
        dependencia = int(await uow.session.scalar(text("SELECT min(id) FROM dependencias")) or 0)
        first = int(await uow.session.scalar(select(func.coalesce(func.max(Ticket.id), 0))) or 0) + 1
        tickets = [_raw_ticket(first + n, n, dependencia) for n in range(rows)]
        events = [_raw_event(first + n) for n in range(rows)]
        pid = await _backend_pid(uow, postgres)

        async def run() -> None:
            connection = await uow.session.connection()
            await connection.execute(insert(Ticket), tickets)
            await connection.execute(insert(TicketEvent), events)
            await uow.commit()

        wall, cpu, server, _ = await _timed(run, pid)
    return {"wall": wall, "cpu": cpu, "server": server, "rows": rows}


def _raw_ticket(ticket_id: int, n: int, dependencia: int) -> dict[str, Any]:
    filed = datetime(2026, 3, 2, 14, 30, tzinfo=UTC) + timedelta(minutes=n)
    return {
        "id": ticket_id, "radicado": f"RAW{n:07d}", "pqrd_type": "peticion",
        "subject": f"Asunto del registro {n}",
        "description": "Descripción del registro histórico, traída del sistema anterior.",
        "channel": "import", "status": "radicado", "dependencia_id": dependencia, "anonymous": False,
        "priority_flags": [], "filed_at": filed, "received_on": filed.date(), "term_days": 15,
        "due_date": date(2026, 3, 24), "original_due_date": date(2026, 3, 24),
        "clock": {"verbal": False, "suspensions": [], "extension": None}, "access_code_hash": "0" * 64,
        "notify_by_email": False, "escalation_step": 0, "created_at": NOW, "updated_at": NOW,
    }  # fmt: skip


def _raw_event(ticket_id: int) -> dict[str, Any]:
    return {
        "ticket_id": ticket_id, "seq": 1, "at": NOW, "actor_kind": "system", "kind": "filed",
        "to_status": "radicado", "public": True, "data": {"channel": "import"}, "hash": "0" * 64,
    }  # fmt: skip


async def _chain_ok(factory: UnitOfWorkFactory) -> tuple[bool, int]:
    async with factory() as uow:
        report = await verify_chains(uow)
    return not report.broken, report.tickets


def _per_s(figures: dict[str, Any]) -> dict[str, float]:
    rows = figures["rows"]
    return {
        "rows_per_s": round(rows / figures["wall"], 1),
        "cpu_ms_per_row": round(1000 * figures["cpu"] / rows, 3),
        "server_cpu_ms_per_row": round(1000 * figures["server"] / rows, 3),
        "rows_per_cpu_s": round(rows / (figures["cpu"] + figures["server"]), 1),
    }


async def bench_engine(url: str, rows: int) -> dict[str, Any]:
    await migrate.upgrade_async(url)
    engine = create_engine(url, pool_size=2)
    postgres = url.startswith("postgresql")
    try:
        factory = UnitOfWorkFactory(session_factory(engine), RecordingNotifier(), FakeClock(NOW))
        async with factory() as uow:
            await seed_demo(uow)
        data = make_csv(rows)
        validate_s = await _dry_run(factory, data)
        imported = await _import(factory, data, postgres)
        chain_ok, chained = await _chain_ok(factory)
        per_row = await _per_row(factory, min(rows, PER_ROW_MAX), postgres)
        raw = await _raw(factory, rows, postgres)
    finally:
        await engine.dispose()
    out = {"imported": imported["rows"], "chain_ok": chain_ok and chained == imported["rows"]}
    out.update(_per_s(imported))
    out["validate_rows_per_s"] = round(rows / validate_s, 1)
    out.update({f"per_row_{k}": v for k, v in _per_s(per_row).items()})
    out.update({f"raw_{k}": v for k, v in _per_s(raw).items()})
    out["ratio_to_raw"] = round(out["rows_per_s"] / out["raw_rows_per_s"], 3)
    out["cpu_ratio_to_raw"] = round(out["rows_per_cpu_s"] / out["raw_rows_per_cpu_s"], 3)
    out["speedup_over_per_row"] = round(out["rows_per_s"] / out["per_row_rows_per_s"], 1)
    return out


async def run(rows: int) -> dict[str, Any]:
    figures: dict[str, Any] = {"bench": "import", "rows": rows}
    with tempfile.TemporaryDirectory(prefix="bench_import_") as tmp:
        sqlite = await bench_engine(f"sqlite+aiosqlite:///{Path(tmp) / 'import.db'}", rows)
    figures.update({f"sqlite_{k}": v for k, v in sqlite.items()})
    name = services.unique_name("p195_bench_import")
    dsn = await services.create_database(name)
    try:
        pg = await bench_engine(dsn.replace("postgresql://", "postgresql+asyncpg://", 1), rows)
    finally:
        await services.drop_database(name)
    figures.update({f"pg_{k}": v for k, v in pg.items()})
    figures["target_met"] = min(sqlite["rows_per_s"], pg["rows_per_s"]) >= TARGET_ROWS_PER_S
    return figures


def _print(figures: dict[str, Any], key: str, label: str) -> None:
    f = {k.removeprefix(f"{key}_"): v for k, v in figures.items() if k.startswith(f"{key}_")}
    print(
        f"{label:<10} import {f['rows_per_s']:>8,.0f} rows/s, {f['cpu_ms_per_row']:.3f} ms CPU/row "
        f"(+ server {f['server_cpu_ms_per_row']:.3f}); chain ok: {f['chain_ok']}\n"
        f"{'':<10} raw    {f['raw_rows_per_s']:>8,.0f} rows/s, {f['raw_cpu_ms_per_row']:.3f} ms CPU/row "
        f"(+ server {f['raw_server_cpu_ms_per_row']:.3f}); ratio {f['ratio_to_raw']:.3f} "
        f"(CPU {f['cpu_ratio_to_raw']:.3f})\n"
        f"{'':<10} before: one filing per row {f['per_row_rows_per_s']:>8,.0f} rows/s, "
        f"{f['per_row_cpu_ms_per_row']:.3f} ms CPU/row (x{f['speedup_over_per_row']} now); "
        f"validation only {f['validate_rows_per_s']:,.0f} rows/s"
    )


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="bench.bench_import")
    parser.add_argument("--quick", action="store_true", help="200 rows, a few seconds")
    parser.add_argument("--rows", type=int, help="rows in the CSV (default 20,000, the import's maximum)")
    args = parser.parse_args(argv)
    rows = args.rows or (200 if args.quick else 20_000)
    figures = asyncio.run(run(rows))
    figures["quick"] = args.quick
    _print(figures, "sqlite", "SQLite")
    _print(figures, "pg", "PostgreSQL")
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
