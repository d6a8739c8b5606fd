"""The two writes every assignment pays for, accepting an offer and completing the work, each in
as few statements as the database allows (they run once per item handled, so they bound the
router's throughput together with the engine's claim).

Core statements on the tables (no ORM objects, no flush): the identity map buys nothing here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, case, select, update

from contact_center.persistence.models import Official
from contact_center.persistence.routing_models import RoutingOffer, WorkItem
from contact_center.services.uow import UnitOfWork

LIVE_CHANNELS = ("voice", "chat", "app")
_offers = cast(Table, RoutingOffer.__table__)
_items = cast(Table, WorkItem.__table__)
_officials = cast(Table, Official.__table__)


async def accept_offer(uow: UnitOfWork, offer_id: int, official_id: int, now: datetime) -> Any | None:
    """Resolve the offer as accepted and assign its item; the item's row (id, conversation_id,
    ticket_id), or None when the offer is not pending for this official (nothing changed then).

    PostgreSQL: one statement (the offer's update in a CTE feeding the item's). SQLite: two.
    """
    won = (
        update(_offers)
        .where(
            _offers.c.id == offer_id,
            _offers.c.official_id == official_id,
            _offers.c.status == "offered",
            _offers.c.expires_at > now,
        )
        .values(status="accepted", decided_at=now)
        .returning(_offers.c.work_item_id)
    )
    assign = update(_items).values(status="assigned", assigned_at=now, updated_at=now)
    assigned = (_items.c.status == "offered", _items.c.official_id == official_id)
    returning = (_items.c.id, _items.c.conversation_id, _items.c.ticket_id)
    if uow.session.get_bind().dialect.name == "postgresql":
        cte = won.cte("won")
        both = assign.where(_items.c.id == cte.c.work_item_id, *assigned).returning(*returning)
        return (await uow.session.execute(both)).first()
    row = (await uow.session.execute(won)).first()
    if row is None:
        return None
    item = assign.where(_items.c.id == row.work_item_id, *assigned).returning(*returning)
    return (await uow.session.execute(item)).first()


async def complete_item(
    uow: UnitOfWork, work_item_id: int, official_id: int, wrap_up_code: str | None, wrap_up_seconds: float
) -> bool:
    """End the official's assigned work and start their wrap-up after live work; False when the
    item is not assigned to them (nothing is changed then: the caller raises and rolls back).

    Two statements, in the router's lock order: the official's row is updated first (its idle
    time and wrap-up, computed in SQL from the item's channel; this takes the row lock), then the
    item is ended. The item's conditional update decides: if it finds nothing, the caller's
    rollback undoes the official's."""
    now = uow.clock.now()
    held = (_items.c.id == work_item_id, _items.c.official_id == official_id, _items.c.status == "assigned")
    channel = select(_items.c.channel).where(*held).scalar_subquery()
    official = (
        update(_officials)
        .where(_officials.c.id == official_id, channel.is_not(None))
        .values(**_idle_values(channel.in_(LIVE_CHANNELS), now, wrap_up_seconds))
        .returning(_officials.c.id)
    )
    if (await uow.session.execute(official)).first() is None:
        return False
    ended = (
        update(_items)
        .where(*held)
        .values(status="completed", ended_at=now, updated_at=now, wrap_up_code=wrap_up_code)
        .returning(_items.c.id)
    )
    return (await uow.session.execute(ended)).first() is not None


def _idle_values(live: Any, now: datetime, wrap_up_seconds: float) -> dict[str, Any]:
    """After live work the wrap-up runs to now + wrap_up (never shortened) and idle time starts
    at its end; otherwise idle time starts now, or when a wrap-up still running ends."""
    current = _officials.c.wrap_up_until
    idle_now = case((current > now, current), else_=now)
    if wrap_up_seconds <= 0:
        return {"idle_since": idle_now}
    until = now + timedelta(seconds=wrap_up_seconds)
    later = case((current > until, current), else_=until)
    return {
        "wrap_up_until": case((live, later), else_=current),
        "idle_since": case((live, later), else_=idle_now),
    }
