"""`CallQueue` on the skills-based router: calls are work items of channel "voice".

The router decides who takes a call (offers, accept, timeouts); the IVR host only enqueues, reads
the caller's position and ETA, and learns which official accepted.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import update

from contact_center.persistence.routing_models import WorkItem
from contact_center.services.uow import UnitOfWork
from ivr.queueing import QueueSpot
from routing.service import NewWorkItem, RouterService


class RouterCallQueue:
    """`router` is looked up on each use, so the voice line may start before the router does."""

    def __init__(self, router: Callable[[], RouterService]) -> None:
        self._router = router

    @property
    def router(self) -> RouterService:
        return self._router()

    async def enqueue(self, uow: UnitOfWork, conversation_id: int, queue_code: str) -> None:
        item = NewWorkItem("conversation", queue_code, "voice", conversation_id=conversation_id)
        await self.router.enqueue(uow, item)

    async def position(self, uow: UnitOfWork, conversation_id: int) -> QueueSpot | None:
        found = await self.router.position(uow, conversation_id)
        return None if found is None else QueueSpot(found.position, found.eta_seconds)

    async def assigned_official(self, uow: UnitOfWork, conversation_id: int) -> int | None:
        return await self.router.assigned_official(uow, conversation_id)

    async def abandon(self, uow: UnitOfWork, conversation_id: int) -> None:
        await self.router.abandon(uow, conversation_id)

    async def keep_for_callback(self, uow: UnitOfWork, conversation_id: int, number: str) -> None:
        """Flag the waiting item as a callback to `number`; it keeps its place in line."""
        await uow.session.execute(
            update(WorkItem)
            .where(WorkItem.conversation_id == conversation_id, WorkItem.status.in_(("waiting", "offered")))
            .values(callback_number=number)
            .execution_options(synchronize_session=False)
        )
