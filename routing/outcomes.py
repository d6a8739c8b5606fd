"""The two writes every assignment pays for, accepting an offer and completing the work, each in
as few statements as the database allows (they run once per item handled, so they bound the
router's throughput together with the engine's claim).

Core statements on the tables, built once and run on the unit of work's connection (no ORM objects,
no flush, no ORM execution layer, no session unless the caller opened one): the identity map buys
nothing here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, Text, bindparam, case, exists, func, literal_column, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from contact_center.core.db.models import Official
from contact_center.core.db.routing_models import RoutingOffer, WorkItem
from contact_center.core.uow import UnitOfWork
from routing import bus

LIVE_CHANNELS = ("voice", "chat", "app")
_offers = cast(Table, RoutingOffer.__table__)
_items = cast(Table, WorkItem.__table__)
_officials = cast(Table, Official.__table__)
# Typed, so a bare parameter (a CASE's ELSE) is bound as the column's timestamp type.
_NOW = bindparam("b_now", type_=_officials.c.wrap_up_until.type)
_UNTIL = bindparam("b_until", type_=_officials.c.wrap_up_until.type)


async def accept_offer(uow: UnitOfWork, offer_id: int, official_id: int, now: datetime) -> Any | None:
    """Resolve the offer as accepted and assign its item; the item's row (id, conversation_id,
    ticket_id), or None when the offer is not pending for this official (nothing changed then).

    PostgreSQL: one statement (the offer's update in a CTE feeding the item's). SQLite: two.
    """
    params = {"b_offer": offer_id, "b_official": official_id, "b_now": now}
    db = await _connection(uow)
    if db.dialect.name == "postgresql":
        return (await db.execute(_PG_ACCEPT, params)).first()
    row = (await db.execute(_WON, params)).first()
    if row is None:
        return None
    return (await db.execute(_ASSIGN, params | {"b_item": row.work_item_id})).first()


_WON = (
    update(_offers)
    .where(
        _offers.c.id == bindparam("b_offer"),
        _offers.c.official_id == bindparam("b_official"),
        _offers.c.status == "offered",
        _offers.c.expires_at > _NOW,
    )
    .values(status="accepted", decided_at=_NOW)
    .returning(_offers.c.work_item_id)
)
_ASSIGNED = (_items.c.status == "offered", _items.c.official_id == bindparam("b_official"))
_ASSIGN_VALUES = {"status": "assigned", "assigned_at": _NOW, "updated_at": _NOW}
_ASSIGN_RETURNING = (_items.c.id, _items.c.conversation_id, _items.c.ticket_id)
_ASSIGN = (
    update(_items)
    .where(_items.c.id == bindparam("b_item"), *_ASSIGNED)
    .values(**_ASSIGN_VALUES)
    .returning(*_ASSIGN_RETURNING)
)
_WON_CTE = _WON.cte("won")
_PG_ACCEPT = (
    update(_items)
    .where(_items.c.id == _WON_CTE.c.work_item_id, *_ASSIGNED)
    .values(**_ASSIGN_VALUES)
    .returning(*_ASSIGN_RETURNING)
)


async def _connection(uow: UnitOfWork) -> AsyncConnection:
    """The unit of work's connection (pending ORM changes written first). When the caller opened
    no session, a bare one: the accept and complete of the officials' consoles then pay for no
    ORM session at all."""
    return await uow.connection()


@dataclass(frozen=True)
class Completed:
    """What completing changed: the freed slot's channel and the official's row after it."""

    channel: str
    presence: str
    away_reason: str | None
    wrap_up_until: datetime | None
    idle_since: datetime | None


async def complete_item(
    uow: UnitOfWork,
    work_item_id: int,
    official_id: int,
    wrap_up_code: str | None,
    wrap_up_seconds: float,
    notify_payload: str,
) -> Completed | None:
    """End the official's assigned work and start their wrap-up after live work; None when the
    item is not assigned to them (nothing is changed then: the caller raises and rolls back).

    In the router's lock order (the official's row, then the item). PostgreSQL: one statement,
    which also sends `notify_payload` to the other processes (NOTIFY leaves on commit). SQLite:
    two (the official's update, its idle time and wrap-up computed in SQL from the item's channel,
    then the item's conditional end; if that finds nothing the caller's rollback undoes both)."""
    now = uow.clock.now()
    params = {
        "b_item": work_item_id,
        "b_official": official_id,
        "b_now": now,
        "b_until": now + timedelta(seconds=max(0.0, wrap_up_seconds)),
        "b_code": wrap_up_code,
    }
    with_wrap_up = wrap_up_seconds > 0
    db = await _connection(uow)
    if db.dialect.name == "postgresql":
        statement = _PG_COMPLETE[with_wrap_up]
        row = (await db.execute(statement, params | {"b_notice": notify_payload})).first()
        return None if row is None else _completed(row)
    row = (await db.execute(_SQLITE_OFFICIAL[with_wrap_up], params)).first()
    if row is None:
        return None
    if (await db.execute(_SQLITE_END, params)).first() is None:
        return None
    return _completed(row)


def _completed(row: Any) -> Completed:
    return Completed(row.channel, row.presence, row.away_reason, row.wrap_up_until, row.idle_since)


# The statements are built once, with bound parameters: building and hashing a statement costs
# more CPU than the round trip it saves, and these run once per item handled.
_OFFICIAL_STATE = (
    _officials.c.presence,
    _officials.c.away_reason,
    _officials.c.wrap_up_until,
    _officials.c.idle_since,
)
_HELD = (
    _items.c.id == bindparam("b_item"),
    _items.c.official_id == bindparam("b_official"),
    _items.c.status == "assigned",
)
_END = {
    "status": "completed",
    "ended_at": _NOW,
    "updated_at": _NOW,
    "wrap_up_code": bindparam("b_code"),
}


def _idle_values(live: Any, with_wrap_up: bool) -> dict[str, Any]:
    """After live work the wrap-up runs to now + wrap_up (`until`, never shortened) and idle time
    starts at its end; otherwise idle time starts now, or when a wrap-up still running ends."""
    current = _officials.c.wrap_up_until
    idle_now = case((current > _NOW, current), else_=_NOW)
    if not with_wrap_up:
        return {"idle_since": idle_now}
    later = case((current > _UNTIL, current), else_=_UNTIL)
    return {
        "wrap_up_until": case((live, later), else_=current),
        "idle_since": case((live, later), else_=idle_now),
    }


def _pg_complete(with_wrap_up: bool) -> Any:
    # The official's row is locked first (`locked`, an InitPlan the item's update waits on), then
    # the item is ended, then the official updated from the ended item's channel.
    locked = (
        select(_officials.c.id)
        .where(_officials.c.id == bindparam("b_official"))
        .with_for_update()
        .cte("locked")
    )
    ended = (
        update(_items)
        .where(*_HELD, exists(select(locked.c.id)))
        .values(**_END)
        .returning(_items.c.official_id, _items.c.channel)
        .cte("ended")
    )
    return (
        update(_officials)
        .where(_officials.c.id == ended.c.official_id)
        .values(**_idle_values(ended.c.channel.in_(LIVE_CHANNELS), with_wrap_up))
        .returning(*_OFFICIAL_STATE, ended.c.channel, func.pg_notify(bus.CHANNEL, _notice_with_hint(ended)))
    )


def _notice_with_hint(ended: Any) -> Any:
    """The NOTIFY payload with the official's row as committed (RETURNING sees the new values) as
    a presence hint, so the other processes' engines offer without reading the official first,
    as this process's does (the claim still checks the locked row)."""
    hint = func.jsonb_build_object(
        *_keyed(
            official_id=_officials.c.id,
            presence=_officials.c.presence,
            away_reason=_officials.c.away_reason,
            wrap_up_until=_officials.c.wrap_up_until,
            idle_since=_officials.c.idle_since,
            freed=func.jsonb_build_array(ended.c.channel),
        )
    )
    notice = sql_cast(bindparam("b_notice", type_=Text()), JSONB)
    with_hint = notice.op("||")(
        func.jsonb_build_object(literal_column("'hints'"), func.jsonb_build_array(hint))
    )
    return sql_cast(with_hint, Text)


def _keyed(**values: Any) -> list[Any]:
    # Keys inlined as literals: a bound key would reach `jsonb_build_object` untyped.
    parts: list[Any] = []
    for key, value in values.items():
        parts += [literal_column(f"'{key}'"), value]
    return parts


def _sqlite_official(with_wrap_up: bool) -> Any:
    channel = select(_items.c.channel).where(*_HELD).scalar_subquery()
    return (
        update(_officials)
        .where(_officials.c.id == bindparam("b_official"), channel.is_not(None))
        .values(**_idle_values(channel.in_(LIVE_CHANNELS), with_wrap_up))
        .returning(*_OFFICIAL_STATE, channel.label("channel"))
    )


_PG_COMPLETE = {flag: _pg_complete(flag) for flag in (False, True)}
_SQLITE_OFFICIAL = {flag: _sqlite_official(flag) for flag in (False, True)}
_SQLITE_END = update(_items).where(*_HELD).values(**_END).returning(_items.c.id)
