"""A new call's conversation row, written in one statement.

The first webhook of every call is the line's busiest request. Its row goes in as one Core
`INSERT ... ON CONFLICT (channel, external_id) DO NOTHING RETURNING id` whose `citizen_id` is a
scalar subquery on the caller's phone identity: no lookup before, no ORM flush, no re-read after.
A retried first webhook inserts nothing (no id back) and the caller reads the stored call instead.

The statement is built once per dialect (building it costs about as much as running it). On
SQLite it is one hand-off to aiosqlite's thread like every statement
(`contact_center.core.db.sqlite_driver`).
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from contact_center.citizens.services.identities import normalize_phone
from contact_center.core.db.models import CitizenIdentity, Conversation
from contact_center.core.uow import UnitOfWork


@functools.cache
def _insert(dialect: str) -> Insert:
    """Built once per dialect: building the statement costs about as much as running it."""
    table = Conversation.__table__
    citizen = (
        select(CitizenIdentity.citizen_id)
        .where(CitizenIdentity.kind == "phone", CitizenIdentity.value == bindparam("phone"))
        .scalar_subquery()
    )
    module: Any = postgresql if dialect == "postgresql" else sqlite
    statement: Insert = (
        module.insert(table)
        .values(
            channel=bindparam("channel"),
            external_id=bindparam("external_id"),
            state=bindparam("state"),
            citizen_id=citizen,
            topic=bindparam("topic"),
            flow_state=bindparam("flow_state", type_=table.c.flow_state.type),
            started_at=bindparam("started_at", type_=table.c.started_at.type),
        )
        .on_conflict_do_nothing(index_elements=["channel", "external_id"])
        .returning(table.c.id)
    )
    return statement


async def insert_call(
    uow: UnitOfWork,
    *,
    channel: str,
    external_id: str,
    caller: str | None,
    topic: str,
    flow_state: dict[str, Any],
    started_at: datetime,
) -> int | None:
    """Insert the call's row in the unit of work's transaction; its id, or None if it existed."""
    connection = await uow.session.connection()  # the transaction begins (BEGIN IMMEDIATE on SQLite)
    params = {
        "channel": channel,
        "external_id": external_id,
        "state": "open",
        "phone": caller_phone(caller),
        "topic": topic,
        "flow_state": flow_state,
        "started_at": started_at,
    }
    result = await connection.execute(_insert(connection.dialect.name), params)
    call_id: int | None = result.scalar()
    return call_id


def caller_phone(caller: str | None) -> str | None:
    """The caller's number as citizens' phone identities store it; None when it is not a phone."""
    if not caller:
        return None
    try:
        return normalize_phone(caller)
    except Exception:  # a PBX extension or a withheld number: no citizen to recognise
        return None
