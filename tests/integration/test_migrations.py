"""The same migrations take an empty PostgreSQL and an empty SQLite database to head and back."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import create_engine, inspect

from contact_center.core.db import migrate
from contact_center.schema import metadata
from tests.support import services

_ONE_EVENT = [
    "INSERT INTO dependencias (id, code, name, is_triage) VALUES (1, 'd', 'D', false)",
    "INSERT INTO tickets (id, radicado, pqrd_type, subject, description, channel, status, dependencia_id,"
    " anonymous, priority_flags, filed_at, received_on, term_days, due_date, original_due_date, clock,"
    " access_code_hash, notify_by_email, escalation_step, created_at, updated_at) VALUES"
    " (1, '1', 'peticion', 's', 'd', 'web', 'radicado', 1, false, '[]', '2026-01-01', '2026-01-01', 15,"
    " '2026-01-22', '2026-01-22', '{}', 'h', false, 0, '2026-01-01', '2026-01-01')",
    "INSERT INTO ticket_events (ticket_id, seq, at, actor_kind, kind, public, data, hash)"
    " VALUES (1, 1, '2026-01-01', 'system', 'filed', true, '{}', 'h')",
]


def _tables(sync_url: str) -> set[str]:
    engine = create_engine(sync_url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_sqlite_upgrade_to_head_then_downgrade_to_base(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    url = f"sqlite+aiosqlite:///{path}"
    migrate.upgrade(url)
    assert set(metadata.tables) <= _tables(f"sqlite:///{path}")
    migrate.downgrade(url)
    assert _tables(f"sqlite:///{path}") == {"alembic_version"}


def test_postgres_upgrade_to_head_then_downgrade_to_base() -> None:
    name = services.unique_name("p195_mig")
    dsn = services.run_sync(services.create_database(name))
    try:
        url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
        migrate.upgrade(url)
        tables = services.run_sync(_pg_tables(dsn))
        assert set(metadata.tables) <= tables
        migrate.downgrade(url)
        assert services.run_sync(_pg_tables(dsn)) == {"alembic_version"}
    finally:
        services.run_sync(services.drop_database(name))


async def _pg_tables(dsn: str) -> set[str]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {r["tablename"] for r in rows}
    finally:
        await conn.close()


@pytest.mark.parametrize("verb", ["UPDATE ticket_events SET reason = 'x'", "DELETE FROM ticket_events"])
async def test_ticket_events_refuse_update_and_delete_on_postgres(pg_url: str, verb: str) -> None:
    await services.truncate_all(pg_url.replace("+asyncpg", ""))  # ends other connections: first
    conn = await asyncpg.connect(pg_url.replace("+asyncpg", ""))
    try:
        for statement in _ONE_EVENT:
            await conn.execute(statement.replace("'2026-01-01'", "'2026-01-01T00:00:00Z'"))
        with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError, match="append-only"):
            await conn.execute(verb)
    finally:
        await conn.close()


@pytest.mark.parametrize("verb", ["UPDATE ticket_events SET reason = 'x'", "DELETE FROM ticket_events"])
def test_ticket_events_refuse_update_and_delete_on_sqlite(
    sqlite_template: Path, tmp_path: Path, verb: str
) -> None:
    import shutil
    import sqlite3

    path = tmp_path / "t.db"
    shutil.copy(sqlite_template, path)
    conn = sqlite3.connect(path)
    for statement in _ONE_EVENT:
        conn.execute(statement.replace("false", "0").replace("true", "1"))
    conn.commit()
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute(verb)
    conn.close()
