"""Many rows of one table in a few statements, for work that writes thousands at once (the CSV
import of old PQRDs).

SQLAlchemy sends a list of parameter sets as multi-row INSERTs ("insertmanyvalues", about a
thousand rows per statement) on both engines; with RETURNING, the ids come back in the order of
the rows given (`sort_by_parameter_order`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, insert, text
from sqlalchemy.ext.asyncio import AsyncSession

_TAKE_NUMBERS = text(
    "INSERT INTO radicado_sequences (year, last_value) VALUES (:year, :count) "
    "ON CONFLICT (year) DO UPDATE SET last_value = radicado_sequences.last_value + :count "
    "RETURNING last_value"
)


async def take_numbers(session: AsyncSession, year: int, count: int) -> int:
    """Take `count` consecutive radicado numbers of `year` at once: the first of them.

    Like one filing's number, the counter's row is locked until the transaction ends, and a
    rollback gives every number back, so the year's sequence stays without gaps."""
    connection = await session.connection()
    last = int((await connection.execute(_TAKE_NUMBERS, {"year": year, "count": count})).scalar_one())
    return last - count + 1


async def insert_returning_ids(
    session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]]
) -> list[int]:
    """Insert `rows` (all with the same keys): their new ids, in the order of `rows`."""
    if not rows:
        return []
    connection = await session.connection()
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    result = await connection.execute(statement, list(rows))
    return [int(value) for value in result.scalars()]


async def insert_rows(session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert `rows` (all with the same keys)."""
    if rows:
        connection = await session.connection()
        await connection.execute(insert(table), list(rows))
