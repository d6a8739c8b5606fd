"""An accepted call the official's phone did not pick up (Twilio `<Dial>` no-answer, busy, failed).

Accepting the offer in the console is not answering the softphone: when the dial that follows is
missed, the acceptance did not hold. The offer counts as timed out (a miss: after the router's
`missed_offers_before_away` misses in a row the official goes away "oferta perdida", exactly as
for an offer left to expire), and the call's work item waits again at its original place
(`enqueued_at` kept), so the router offers it to the next official.
"""

from __future__ import annotations

from sqlalchemy import select, update

from contact_center.core.db.routing_models import RoutingOffer, WorkItem
from contact_center.core.uow import UnitOfWork
from routing import bus, notices, reservations
from routing.service import RouterService

MISSED = "call_missed"  # the reason of the `offer.revoked` event the official's console receives


async def mark_missed(uow: UnitOfWork, router: RouterService, item: WorkItem, official_id: int) -> list[int]:
    """The offer `official_id` accepted for `item` becomes a timed-out one and counts as a miss;
    returns other items freed if the official goes away."""
    officials = await reservations.lock_officials(uow, [official_id])
    now = uow.clock.now()
    offer_id = await uow.session.scalar(
        update(RoutingOffer)
        .where(
            RoutingOffer.work_item_id == item.id,
            RoutingOffer.official_id == official_id,
            RoutingOffer.status == "accepted",
        )
        .values(status="timed_out", decided_at=now)
        .returning(RoutingOffer.id)
        .execution_options(synchronize_session=False)
    )
    if offer_id is not None:
        uow.emit(notices.offer_revoked(offer_id, official_id, MISSED))
    official = officials.get(official_id)
    if official is None:
        return []
    return await reservations.record_miss(uow, await router.setup(uow), official)


async def call_missed(uow: UnitOfWork, router: RouterService, conversation_id: int) -> WorkItem | None:
    """The call's assigned item waits again at its place and its official's acceptance counts as a
    miss; returns the item (None when no item is assigned: nothing to undo)."""
    found = await uow.session.scalar(
        select(WorkItem).where(WorkItem.conversation_id == conversation_id, WorkItem.status == "assigned")
    )
    if found is None or found.official_id is None:
        return None
    official_id = found.official_id
    # Officials before items, the order every routing write takes its locks in.
    await reservations.lock_officials(uow, [official_id])
    item = await uow.session.get(WorkItem, found.id, with_for_update=True, populate_existing=True)
    if item is None or item.status != "assigned" or item.official_id != official_id:
        return None
    others = await mark_missed(uow, router, item, official_id)
    now = uow.clock.now()
    item.status, item.official_id, item.offered_at, item.assigned_at = "waiting", None, None, None
    item.updated_at = now
    await uow.session.flush()
    await bus.announce(uow, items=[item.id, *others], officials=[official_id], origin=router.origin)
    return item
