"""An official's presence change as one Core statement: the `UPDATE` takes the row lock (the
first step of the router's lock order) and returns the row as changed, so no ORM object is
loaded or flushed. On PostgreSQL a change to `available` also carries the NOTIFY telling the
other processes (it is the start of "official becomes available -> offer", so every round trip
counts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import String, Table, and_, bindparam, case, func, update

from contact_center.core.db.models import Official
from contact_center.core.officials import Presence
from contact_center.core.uow import UnitOfWork
from routing import bus

_officials = cast(Table, Official.__table__)
_NOW = bindparam("b_now", type_=_officials.c.presence_since.type)
_PRESENCE = bindparam("b_presence", type_=String())
_AVAILABLE = Presence.AVAILABLE.value


@dataclass(frozen=True)
class PresenceRow:
    """The official's row after the change."""

    presence: str
    away_reason: str | None
    wrap_up_until: datetime | None
    idle_since: datetime
    notified: bool = False  # the statement sent the notice to the other processes (PostgreSQL)


async def change(
    uow: UnitOfWork, official_id: int, presence: Presence, reason: str | None, notice: str | None
) -> PresenceRow | None:
    """Set the presence of an active official; None when there is no such active official.

    `notice` (a `bus.notify_payload`) is sent to the other processes by the statement itself on
    PostgreSQL; the caller announces otherwise."""
    params = {
        "b_official": official_id,
        "b_presence": presence.value,
        "b_reason": reason,
        "b_now": uow.clock.now(),
    }
    db = await uow.connection()  # a bare connection unless the caller opened a session
    if notice is not None and db.dialect.name == "postgresql":
        row = (await db.execute(_CHANGE_AND_NOTIFY, params | {"b_notice": notice})).first()
    else:
        row = (await db.execute(_CHANGE, params)).first()
    if row is None:
        return None
    idle_since = row.idle_since or row.presence_since or row.created_at
    notified = notice is not None and db.dialect.name == "postgresql"
    return PresenceRow(row.presence, row.away_reason, row.wrap_up_until, idle_since, notified)


def _values() -> dict[str, Any]:
    # Becoming available (from anything else) starts idle time now, or when a running wrap-up
    # ends; SET expressions read the row as it was before this update, on both databases.
    current = _officials.c.wrap_up_until
    returning = and_(_PRESENCE == _AVAILABLE, _officials.c.presence != _AVAILABLE)
    return {
        "idle_since": case(
            (returning, case((current > _NOW, current), else_=_NOW)), else_=_officials.c.idle_since
        ),
        "presence": _PRESENCE,
        "away_reason": bindparam("b_reason", type_=String()),
        "presence_since": _NOW,
    }


_COLUMNS = (
    _officials.c.presence,
    _officials.c.away_reason,
    _officials.c.wrap_up_until,
    _officials.c.idle_since,
    _officials.c.presence_since,
    _officials.c.created_at,
)
_CHANGE = (
    update(_officials)
    .where(_officials.c.id == bindparam("b_official"), _officials.c.active.is_(True))
    .values(**_values())
    .returning(*_COLUMNS)
)
_CHANGE_AND_NOTIFY = _CHANGE.returning(func.pg_notify(bus.CHANNEL, bindparam("b_notice")))
