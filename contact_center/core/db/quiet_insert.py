"""`INSERT ... ON CONFLICT DO NOTHING` on both engines, as one statement with no SAVEPOINT.

Where a row may already exist (taken by a concurrent transaction, or a retry), inserting it this
way costs one round trip, where an ORM add inside `begin_nested()` costs three (SAVEPOINT,
INSERT, RELEASE) and a failed one a ROLLBACK TO as well. On PostgreSQL a conflicting row still
being inserted by another transaction makes the statement wait for that transaction's end, as a
plain INSERT would, then do nothing if it committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


async def insert_ignoring_conflicts(
    session: AsyncSession,
    table: Table,
    rows: Sequence[dict[str, Any]],
    returning: ColumnElement[Any] | None = None,
) -> list[Any]:
    """Insert `rows`, skipping those that break a unique constraint; the `returning` values of the
    rows inserted (empty without `returning`)."""
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    statement = _statement(dialect, table, returning)
    if len(rows) == 1:
        # The rows as parameters of one cached statement; a multi-row VALUES would be compiled
        # afresh on every call (its shape is part of the statement).
        result = await session.execute(statement, dict(rows[0]))
    elif returning is None:
        result = await session.execute(statement, list(rows))
    else:
        module: Any = postgresql if dialect == "postgresql" else sqlite
        many = module.insert(table).values(list(rows)).on_conflict_do_nothing().returning(returning)
        return list((await session.execute(many)).scalars().all())
    return [] if returning is None else list(result.scalars().all())


@cache
def _statement(dialect: str, table: Table, returning: ColumnElement[Any] | None) -> Any:
    module: Any = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(table).on_conflict_do_nothing()
    return statement if returning is None else statement.returning(returning)
