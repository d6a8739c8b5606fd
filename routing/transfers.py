"""Transfers of assigned work: to a queue (cold, the item waits at its original place) or offered
straight to one official, who accepts or rejects like any other offer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from contact_center.core.db.routing_models import WorkItem
from contact_center.core.errors import Conflict, InvalidInput, NotFound
from contact_center.core.uow import UnitOfWork
from routing import bus, positions, reservations
from routing.priority import effective_priority

if TYPE_CHECKING:
    from routing.service import RouterService


async def transfer(
    router: RouterService,
    uow: UnitOfWork,
    work_item_id: int,
    to_official_id: int | None,
    to_queue_code: str | None,
) -> None:
    if (to_official_id is None) == (to_queue_code is None):
        raise InvalidInput("Indique un funcionario o una cola de destino.", code="transfer_target_required")
    item = await uow.session.get(WorkItem, work_item_id)
    if item is None:
        raise NotFound("El trabajo no existe.", code="work_item_not_found")
    holder = item.official_id
    targets = [i for i in (holder, to_official_id) if i is not None]
    officials = await reservations.lock_officials(uow, targets)
    await uow.session.refresh(item, with_for_update=True)
    if item.status != "assigned" or item.official_id != holder:
        raise Conflict("Solo se transfiere trabajo asignado.", code="work_item_not_assigned")
    setup = await router.setup(uow)
    now = uow.clock.now()
    if to_queue_code is not None:
        queue = setup.queue_by_code(to_queue_code)
        if queue is None:
            raise NotFound(f"La cola «{to_queue_code}» no existe.", code="unknown_queue")
        item.queue_id = queue.id
        item.effective_priority = effective_priority(queue.priority, item_priority=item.priority)
        item.status, item.official_id, item.offered_at, item.assigned_at = "waiting", None, None, None
        item.updated_at = now
        await uow.session.flush()
        await positions.push_one(uow, item)
        await bus.announce(uow, items=[item.id], officials=targets, origin=router.origin)
        return
    assert to_official_id is not None
    target = officials.get(to_official_id)
    if target is None or to_official_id == holder:
        raise InvalidInput("Funcionario de destino no válido.", code="unknown_official")
    if not reservations.is_ready(target, now):
        raise Conflict("El funcionario de destino no está disponible.", code="official_unavailable")
    item.status, item.official_id, item.assigned_at, item.updated_at = "waiting", None, None, now
    await uow.session.flush()
    proposal = reservations.Proposal(item.id, to_official_id)
    made = await reservations.claim(uow, setup, [proposal], {item.id: item.channel})
    if not made:
        raise Conflict("El funcionario de destino no tiene cupo en el canal.", code="official_full")
    await bus.announce(uow, items=[item.id], officials=targets, origin=router.origin)


async def live_item_of_conversation(uow: UnitOfWork, conversation_id: int) -> WorkItem | None:
    found: WorkItem | None = await uow.session.scalar(
        select(WorkItem).where(WorkItem.conversation_id == conversation_id, WorkItem.status == "assigned")
    )
    return found
