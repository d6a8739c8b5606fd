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

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Insert,
    Integer,
    Select,
    String,
    Table,
    bindparam,
    case,
    cast,
    func,
    insert,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from contact_center.domain.tickets import format_radicado
from contact_center.persistence.models import (
    Citizen,
    CitizenIdentity,
    DataConsent,
    RadicadoSequence,
    Ticket,
    TicketEvent,
)

_CITIZENS: Table = Citizen.__table__  # type: ignore[assignment]
_IDENTITIES: Table = CitizenIdentity.__table__  # type: ignore[assignment]
_CONSENTS: Table = DataConsent.__table__  # type: ignore[assignment]
_SEQUENCES: Table = RadicadoSequence.__table__  # type: ignore[assignment]
_TICKETS: Table = Ticket.__table__  # type: ignore[assignment]
_EVENTS: Table = TicketEvent.__table__  # type: ignore[assignment]
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
_NEW_CITIZEN = insert(_CITIZENS).returning(_CITIZENS.c.id)
_NEW_TICKET = insert(_TICKETS).returning(_TICKETS.c.id)
_NEW_CONSENT = insert(_CONSENTS)
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


# -- citizen ---------------------------------------------------------------------------------------


async def insert_citizen(
    session: AsyncSession,
    *,
    name: str | None,
    created_at: datetime,
    claims: Sequence[tuple[str, str]],
    consent: tuple[str, str] | None,
) -> int:
    """A new citizen, their unverified identity claims where nobody holds the value yet (kind,
    value), and their consent (privacy-notice version, channel) given at `created_at`."""
    connection, postgres = await _connection(session)
    if postgres and len(claims) <= 1:
        params: dict[str, Any] = {"name": name, "created_at": created_at}
        if claims:
            params.update(kind=claims[0][0], value=claims[0][1])
        if consent is not None:
            params.update(notice_version=consent[0], channel=consent[1])
        statement = _pg_citizen_statement(bool(claims), consent is not None)
        return int((await connection.execute(statement, params)).scalar_one())
    result = await connection.execute(_NEW_CITIZEN, {"name": name, "created_at": created_at})
    citizen_id = int(result.scalar_one())
    if claims:
        rows = [
            {"citizen_id": citizen_id, "kind": k, "value": v, "verified": False, "created_at": created_at}
            for k, v in claims
        ]
        await connection.execute(_new_claims(postgres), rows)
    if consent is not None:
        await insert_consent(session, citizen_id, consent[0], consent[1], created_at)
    return citizen_id


async def insert_consent(
    session: AsyncSession, citizen_id: int, notice_version: str, channel: str, given_at: datetime
) -> None:
    """The consent of a citizen found (not created) by the filing."""
    connection, _ = await _connection(session)
    row = {
        "citizen_id": citizen_id,
        "notice_version": notice_version,
        "channel": channel,
        "given_at": given_at,
    }
    await connection.execute(_NEW_CONSENT, row)


@cache
def _new_claims(postgres: bool) -> Insert:
    module: Any = postgresql if postgres else sqlite
    statement: Insert = module.insert(_IDENTITIES).on_conflict_do_nothing()
    return statement


@cache
def _pg_citizen_statement(with_claim: bool, with_consent: bool) -> Select[Any]:
    """One statement: INSERT the citizen, and from its id the claim and the consent (CTEs)."""
    citizen = (
        insert(_CITIZENS)
        .values(name=_param(_CITIZENS, "name"), created_at=_param(_CITIZENS, "created_at"))
        .returning(_CITIZENS.c.id)
        .cte("new_citizen")
    )
    ctes = []
    if with_claim:
        claim = (
            postgresql.insert(_IDENTITIES)
            .from_select(
                ["citizen_id", "kind", "value", "verified", "created_at"],
                select(
                    citizen.c.id,
                    _param(_IDENTITIES, "kind"),
                    _param(_IDENTITIES, "value"),
                    literal_column("false"),
                    bindparam("created_at", type_=_IDENTITIES.c.created_at.type),
                ),
            )
            .on_conflict_do_nothing()
            .cte("new_claim")
        )
        ctes.append(claim)
    if with_consent:
        consent = (
            insert(_CONSENTS)
            .from_select(
                ["citizen_id", "notice_version", "channel", "given_at"],
                select(
                    citizen.c.id,
                    _param(_CONSENTS, "notice_version"),
                    _param(_CONSENTS, "channel"),
                    bindparam("created_at", type_=_CONSENTS.c.given_at.type),
                ),
            )
            .cte("new_consent")
        )
        ctes.append(consent)
    # PostgreSQL runs every data-modifying CTE of a statement, referenced or not.
    return select(citizen.c.id).add_cte(*ctes)


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


@cache
def _pg_ticket_statement() -> Insert:
    """INSERT INTO tickets ... SELECT ..., <radicado> FROM (the counter's upsert RETURNING)."""
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
    radicado = cast(bindparam("year", type_=Integer()), String()) + padded
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
