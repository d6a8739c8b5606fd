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
    item is not assigned to them (nothing changed then). Three statements: lock the official
    (the router's lock order: officials, then work items), end the item, move the official's
    idle time."""
    now = uow.clock.now()
    locked = select(_officials.c.id).where(_officials.c.id == official_id).with_for_update()
    if (await uow.session.execute(locked)).first() is None:
        return False
    done = (
        await uow.session.execute(
            update(_items)
            .where(
                _items.c.id == work_item_id,
                _items.c.official_id == official_id,
                _items.c.status == "assigned",
            )
            .values(status="completed", ended_at=now, updated_at=now, wrap_up_code=wrap_up_code)
            .returning(_items.c.channel)
        )
    ).first()
    if done is None:
        return False
    await uow.session.execute(_idle_update(official_id, done.channel, now, wrap_up_seconds))
    return True


def _idle_update(official_id: int, channel: str, now: datetime, wrap_up_seconds: float) -> Any:
    """After live work the wrap-up runs to now + wrap_up (never shortened) and idle time starts
    at its end; otherwise idle time starts now, or when a wrap-up still running ends."""
    current = _officials.c.wrap_up_until
    if channel in LIVE_CHANNELS and wrap_up_seconds > 0:
        until = now + timedelta(seconds=wrap_up_seconds)
        later = case((current > until, current), else_=until)
        values = {"wrap_up_until": later, "idle_since": later}
    else:
        values = {"idle_since": case((current > now, current), else_=now)}
    return update(_officials).where(_officials.c.id == official_id).values(**values)
