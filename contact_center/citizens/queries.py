"""The rows of a new citizen written with SQLAlchemy Core, for the filing hot path.

A filing writes the citizen, their unverified identity claims and their consent; on PostgreSQL
they are one statement (data-modifying CTEs), on SQLite, which has none, separate statements (a
write transaction holds the whole database there, so this costs no lock time).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Insert, Select, Table, bindparam, insert, literal_column, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from contact_center.core.db.models import Citizen, CitizenIdentity, DataConsent
from contact_center.core.uow import UnitOfWork

_CITIZENS: Table = Citizen.__table__  # type: ignore[assignment]
_IDENTITIES: Table = CitizenIdentity.__table__  # type: ignore[assignment]
_CONSENTS: Table = DataConsent.__table__  # type: ignore[assignment]
_NEW_CITIZEN = insert(_CITIZENS).returning(_CITIZENS.c.id)
_NEW_CONSENT = insert(_CONSENTS)
_MERGE_LOCK_KEY = 195_000_014  # pg_advisory_xact_lock key of citizen merges


async def lock_merges(uow: UnitOfWork) -> None:
    """Serialise citizen merges until the transaction ends (PostgreSQL's advisory lock; SQLite's
    write transaction already holds the whole database)."""
    if uow.dialect_name == "postgresql":
        await uow.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MERGE_LOCK_KEY})


async def _connection(session: AsyncSession) -> tuple[AsyncConnection, bool]:
    connection = await session.connection()
    return connection, connection.dialect.name == "postgresql"


def _param(table: Table, column: str) -> ColumnElement[Any]:
    return bindparam(column, type_=table.c[column].type)


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
