"""The rows of a filing written with SQLAlchemy Core: fewer statements, no ORM unit of work.

A filing writes a citizen, their typed identities and consent, the ticket with its radicado and
its first events. Through the ORM each of these was an object to track, flush and refresh; here
each is one compiled (and cached) statement on the session's connection, and on PostgreSQL the
ones that go together are one round trip:

- the citizen, their identity claims and their consent: one statement (data-modifying CTEs);
- the year's radicado number and the ticket row: one statement, so the row lock on the year's
  counter is taken by the same round trip that writes the ticket.

SQLite has no data-modifying CTEs; it runs the same writes as separate statements, which costs
no lock time there (a write transaction holds the whole database anyway).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import (
    CTE,
    JSON,
    ColumnElement,
    Insert,
    Integer,
    LargeBinary,
    Select,
    String,
    Table,
    bindparam,
    case,
    cast,
    func,
    insert,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from contact_center.core.db.models import (
    IdempotencyRecord,
    RadicadoSequence,
    Ticket,
    TicketEvent,
)
from contact_center.core.http.idempotency import StoredAnswer
from contact_center.pqrd.domain.tickets import format_radicado

_SEQUENCES: Table = RadicadoSequence.__table__  # type: ignore[assignment]
_TICKETS: Table = Ticket.__table__  # type: ignore[assignment]
_EVENTS: Table = TicketEvent.__table__  # type: ignore[assignment]
_ANSWERS: Table = IdempotencyRecord.__table__  # type: ignore[assignment]
SEQ_DIGITS = 6  # domain.tickets.format_radicado: year + at least six digits

# Columns of a new ticket that the filing sets (the rest keep their defaults or NULL).
TICKET_COLUMNS = (
    "pqrd_type",
    "subject",
    "description",
    "channel",
    "status",
    "dependencia_id",
    "citizen_id",
    "anonymous",
    "priority_flags",
    "filed_at",
    "received_on",
    "term_days",
    "due_date",
    "original_due_date",
    "clock",
    "access_code_hash",
    "notify_by_email",
    "next_escalation_at",
    "escalation_step",
    "created_at",
    "updated_at",
)

# Statements built once: their compiled form is cached by SQLAlchemy, their construction is not.
_NEW_TICKET = insert(_TICKETS).returning(_TICKETS.c.id)
_NEW_EVENTS = insert(_EVENTS)
_NEXT_NUMBER = text(
    "INSERT INTO radicado_sequences (year, last_value) VALUES (:year, 1) "
    "ON CONFLICT (year) DO UPDATE SET last_value = radicado_sequences.last_value + 1 "
    "RETURNING last_value"
)


async def _connection(session: AsyncSession) -> tuple[AsyncConnection, bool]:
    connection = await session.connection()
    return connection, connection.dialect.name == "postgresql"


def _param(table: Table, column: str) -> ColumnElement[Any]:
    return bindparam(column, type_=table.c[column].type)


# -- ticket with its radicado ----------------------------------------------------------------------


async def insert_numbered_ticket(session: AsyncSession, values: dict[str, Any], year: int) -> tuple[int, int]:
    """Take the year's next radicado number and insert the ticket with it: (ticket id, number).

    The number's row lock is held until the transaction ends, so the caller does this after every
    read and computation it can do beforehand."""
    connection, postgres = await _connection(session)
    if postgres:
        row = (await connection.execute(_pg_ticket_statement(), {**values, "year": year})).one()
        return int(row[0]), int(row[1][4:])
    number = int((await connection.execute(_NEXT_NUMBER, {"year": year})).scalar_one())
    result = await connection.execute(_NEW_TICKET, {**values, "radicado": format_radicado(year, number)})
    return int(result.scalar_one()), number


def _pg_next_number() -> tuple[CTE, ColumnElement[str]]:
    """The year's counter taken (the row lock held to COMMIT) and the radicado it makes, in SQL."""
    number = (
        postgresql.insert(_SEQUENCES)
        .values(year=bindparam("year", type_=Integer()), last_value=1)
        .on_conflict_do_update(
            index_elements=[_SEQUENCES.c.year], set_={"last_value": _SEQUENCES.c.last_value + 1}
        )
        .returning(_SEQUENCES.c.last_value)
        .cte("number")
    )
    digits = cast(number.c.last_value, String())
    padded = case((number.c.last_value < 10**SEQ_DIGITS, func.lpad(digits, SEQ_DIGITS, "0")), else_=digits)
    return number, cast(bindparam("year", type_=Integer()), String()) + padded


@cache
def _pg_ticket_statement() -> Insert:
    """INSERT INTO tickets ... SELECT ..., <radicado> FROM (the counter's upsert RETURNING)."""
    number, radicado = _pg_next_number()
    chosen = select(*(_param(_TICKETS, c) for c in TICKET_COLUMNS), radicado).select_from(number)
    return (
        insert(_TICKETS)
        .from_select([*TICKET_COLUMNS, "radicado"], chosen)
        .returning(_TICKETS.c.id, _TICKETS.c.radicado)
    )


# -- events ----------------------------------------------------------------------------------------


_EVENT_COLUMNS = tuple(c.key for c in _EVENTS.columns if c.key != "id")


async def insert_events(session: AsyncSession, events: Sequence[TicketEvent]) -> None:
    """Insert audit-trail rows built (not added to the session) in one statement."""
    if events:
        connection, _ = await _connection(session)
        rows = [{c: getattr(event, c) for c in _EVENT_COLUMNS} for event in events]
        await connection.execute(_NEW_EVENTS, rows)


# -- the radicado taken last (PostgreSQL) ----------------------------------------------------------
#
# The counter's row lock serialises every filing from the statement that takes the number to the
# COMMIT. Taken together with the ticket, it was then held across the events INSERT and the stored
# idempotency answer: two more round trips and event-loop turns. A filing that asks for it
# (`number_at_end`) is instead prepared with a placeholder in the radicado's place (its events
# hashed, the answer rendered) and ONE statement at the end takes the number, writes the ticket and
# its events (hashes recomputed in SQL from the placeholder's canonical JSON) and the answer; only
# COMMIT follows. A rollback undoes the counter's increment with everything else, so no number is
# burnt. The caller holds the `PendingTicket` and hands it to `LateNumbering`, which finishes it.

_NEXT_TICKET_ID = text("SELECT nextval(pg_get_serial_sequence('tickets', 'id'))")


@dataclass
class PendingTicket:
    """A ticket waiting for its radicado: its row and events carry `placeholder` instead."""

    placeholder: str
    year: int
    values: dict[str, Any]
    # Each event with the canonical JSON its draft hash was computed from (`domain.tickets`).
    events: list[tuple[TicketEvent, str]] = field(default_factory=list)
    numbered: list[Callable[[str], None]] = field(default_factory=list)


async def defer_numbered_ticket(
    session: AsyncSession, values: dict[str, Any], year: int
) -> PendingTicket | None:
    """Reserve the ticket's id and leave its number to `finish_filing` (PostgreSQL); None: the
    caller takes the number now (`insert_numbered_ticket`), as on SQLite."""
    connection, postgres = await _connection(session)
    if not postgres:
        return None
    ticket_id = int((await connection.execute(_NEXT_TICKET_ID)).scalar_one())
    # Random, so no citizen's text can contain it by chance or on purpose.
    return PendingTicket(f"R{secrets.token_hex(9)}", year, {**values, "id": ticket_id})


async def finish_filing(session: AsyncSession, pending: PendingTicket, answer: StoredAnswer | None) -> str:
    """Number and write the pending ticket with its events and the answer in one statement; its
    radicado."""
    connection, _ = await _connection(session)
    # Prefixed names: a parameter named like a column of a CTE's UPDATE would be SET by it.
    params: dict[str, Any] = {f"t_{c}": v for c, v in pending.values.items()}
    params.update(year=pending.year, placeholder=pending.placeholder)
    for index, (event, canonical) in enumerate(pending.events):
        params.update(_event_params(index, event, canonical))
    if answer is not None:
        params.update(a_scope=answer.scope, a_key=answer.key, a_status=answer.status, a_body=answer.body)
    statement = _pg_finish_statement(len(pending.events), answer is not None)
    radicado = str((await connection.execute(statement, params)).scalar_one())
    for numbered in pending.numbered:
        numbered(radicado)
    return radicado


def _event_params(index: int, event: TicketEvent, canonical: str) -> dict[str, Any]:
    params = {f"e{index}_{c}": getattr(event, c) for c in _EVENT_COLUMNS if c not in ("data", "hash")}
    params[f"e{index}_data"] = json.dumps(event.data)
    # What `event_hash` hashed, with the placeholder (and the previous draft hash) in it.
    params[f"e{index}_canonical"] = canonical
    params[f"e{index}_draft_hash"] = event.hash
    return params


def _sha256_hex(value: ColumnElement[Any]) -> ColumnElement[str]:
    return func.encode(func.sha256(func.convert_to(value, "UTF8")), "hex")


@cache
def _pg_finish_statement(events: int, with_answer: bool) -> Select[Any]:
    """WITH number, ticket, events, answer: SELECT the radicado (every CTE runs exactly once)."""
    _, radicado = _pg_next_number()
    numbered = select(radicado.label("radicado")).cte("numbered")
    radicado = numbered.c.radicado
    columns = (*TICKET_COLUMNS, "id")
    ticket = (
        insert(_TICKETS)
        .from_select(
            [*columns, "radicado"],
            select(*(bindparam(f"t_{c}", type_=_TICKETS.c[c].type) for c in columns), radicado),
        )
        .cte("ticket")
    )
    ctes: list[Any] = [ticket]
    placeholder = bindparam("placeholder", type_=String())
    rows = []
    previous: ColumnElement[Any] | None = None
    for index in range(events):
        canonical = func.replace(bindparam(f"e{index}_canonical", type_=String()), placeholder, radicado)
        if previous is not None:
            canonical = func.replace(
                canonical, bindparam(f"e{index - 1}_draft_hash", type_=String()), previous
            )
        hashed = _sha256_hex(canonical)
        data = cast(func.replace(bindparam(f"e{index}_data", type_=String()), placeholder, radicado), JSON())
        fixed = [
            bindparam(f"e{index}_{c}", type_=_EVENTS.c[c].type).label(c)
            for c in _EVENT_COLUMNS
            if c not in ("data", "hash", "prev_hash")
        ]
        prev_hash = previous if previous is not None else bindparam(f"e{index}_prev_hash", type_=String())
        rows.append(select(*fixed, data.label("data"), prev_hash.label("prev_hash"), hashed.label("hash")))
        previous = hashed
    if rows:
        names = [c for c in _EVENT_COLUMNS if c not in ("data", "hash", "prev_hash")]
        ctes.append(
            insert(_EVENTS).from_select([*names, "data", "prev_hash", "hash"], union_all(*rows)).cte("events")
        )
    if with_answer:
        body = func.convert_to(
            func.replace(
                func.convert_from(bindparam("a_body", type_=LargeBinary()), "UTF8"),
                placeholder,
                select(radicado).scalar_subquery(),  # not UPDATE ... FROM numbered
            ),
            "UTF8",
        )
        ctes.append(
            update(_ANSWERS)
            .where(_ANSWERS.c.scope == bindparam("a_scope"), _ANSWERS.c.key == bindparam("a_key"))
            .values(status=bindparam("a_status"), body=body)
            .cte("answer")
        )
    return select(radicado).add_cte(*ctes)
