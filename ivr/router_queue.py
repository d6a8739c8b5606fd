"""`CallQueue` on the skills-based router: calls are work items of channel "voice".

The router decides who takes a Twilio call (offers, accept, timeouts); the IVR host only enqueues,
reads the caller's position and ETA, and learns which official accepted. On Asterisk, app_queue
distributes the calls (its members and penalties); their work items carry `distributor="asterisk"`
so the router never offers them, and the AMI mirror tells this queue who answered and when the
call ended. A callback leaves app_queue (the caller hung up), so its item passes to the router.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from sqlalchemy import select, update

from contact_center.core.db.routing_models import WorkItem
from contact_center.core.uow import UnitOfWork
from ivr.queueing import QueueSpot
from routing import bus
from routing.service import NewWorkItem, RouterService


class RouterCallQueue:
    """`router` is looked up on each use, so the voice line may start before the router does."""

    def __init__(self, router: Callable[[], RouterService]) -> None:
        self._router = router

    @property
    def router(self) -> RouterService:
        return self._router()

    async def enqueue(
        self, uow: UnitOfWork, conversation_id: int, queue_code: str, *, distributor: str | None = None
    ) -> None:
        by: Literal["asterisk"] | None = "asterisk" if distributor == "asterisk" else None
        item = NewWorkItem(
            "conversation", queue_code, "voice", conversation_id=conversation_id, distributor=by
        )
        await self.router.enqueue(uow, item)

    async def position(self, uow: UnitOfWork, conversation_id: int) -> QueueSpot | None:
        found = await self.router.position(uow, conversation_id)
        return None if found is None else QueueSpot(found.position, found.eta_seconds)

    async def assigned_official(self, uow: UnitOfWork, conversation_id: int) -> int | None:
        return await self.router.assigned_official(uow, conversation_id)

    async def abandon(self, uow: UnitOfWork, conversation_id: int) -> None:
        await self.router.abandon(uow, conversation_id)

    async def keep_for_callback(self, uow: UnitOfWork, conversation_id: int, number: str) -> None:
        """Flag the waiting item as a callback to `number`; it keeps its place in line, and the
        router hands it out (app_queue no longer holds a caller who hung up)."""
        rows = await uow.session.execute(
            update(WorkItem)
            .where(WorkItem.conversation_id == conversation_id, WorkItem.status.in_(("waiting", "offered")))
            .values(callback_number=number, distributor=None)
            .returning(WorkItem.id)
            .execution_options(synchronize_session=False)
        )
        await bus.announce(uow, items=[row.id for row in rows], origin=self.router.origin)

    async def connected(self, uow: UnitOfWork, conversation_id: int, official_id: int) -> bool:
        """app_queue connected the call to `official_id`: its waiting item becomes their work.

        Conditional, like every routing write: only a waiting item that Asterisk distributes moves,
        so a replayed AgentConnect or a call the router handed out changes nothing.
        """
        now = uow.clock.now()
        moved = (
            await uow.session.execute(
                update(WorkItem)
                .where(
                    WorkItem.conversation_id == conversation_id,
                    WorkItem.status == "waiting",
                    WorkItem.distributor == "asterisk",
                )
                .values(status="assigned", official_id=official_id, assigned_at=now, updated_at=now)
                .returning(WorkItem.id)
                .execution_options(synchronize_session=False)
            )
        ).first()
        if moved is None:
            return False
        await bus.announce(uow, items=[moved.id], officials=[official_id], origin=self.router.origin)
        return True

    async def finish(self, uow: UnitOfWork, conversation_id: int) -> None:
        """Complete the call's assigned item for its official (no-op when none is assigned)."""
        row = (
            await uow.session.execute(
                select(WorkItem.id, WorkItem.official_id).where(
                    WorkItem.conversation_id == conversation_id, WorkItem.status == "assigned"
                )
            )
        ).first()
        if row is not None and row.official_id is not None:
            await self.router.complete(uow, row.id, row.official_id)
