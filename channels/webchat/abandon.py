"""Abandoned web chats: a citizen who closed the tab leaves the queue.

socket.io's ping / pong is the page's heartbeat: a closed tab drops its connection (at once, or at
the ping timeout). When the last connection of a waiting conversation goes, the watch waits a grace
period (a reload or a network blip reconnects within it) and, if nobody came back, ends the chat as
the citizen's "Terminar chat" does: the router drops the work item and the conversation is recorded
`abandoned`. Only conversations still waiting (queued, offered) are ended this way.

Connections are counted in this process's rooms; behind several processes a citizen who reconnects
to another process within the grace still counts as gone here (see README, Known limits).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy import select

from contact_center.chat.services import conversations as chat
from contact_center.core.db.models import Conversation
from contact_center.core.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)
WAITING = ("queued", "offered")


class AbandonWatch:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        dispatcher: Callable[[], chat.Dispatcher],
        connected: Callable[[int], bool],
        grace_seconds: float,
    ) -> None:
        self.uow = uow
        self.dispatcher = dispatcher
        self.connected = connected
        self.grace = grace_seconds
        self.pending: set[asyncio.Task[None]] = set()

    def left(self, conversation_id: int) -> None:
        """A connection of this conversation closed: check again after the grace period."""
        task = asyncio.create_task(self._check(conversation_id))
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    async def _check(self, conversation_id: int) -> None:
        await asyncio.sleep(self.grace)
        if self.connected(conversation_id):
            return
        try:
            async with self.uow() as uow:
                state = await uow.session.scalar(
                    select(Conversation.state).where(Conversation.id == conversation_id)
                )
                if state in WAITING:
                    await chat.end_chat(uow, conversation_id, self.dispatcher())
                    log.info("chat_abandoned", extra={"conversation_id": conversation_id})
        except Exception:  # a sweep of one chat must never take the process down
            log.exception("chat_abandon_failed", extra={"conversation_id": conversation_id})

    async def stop(self) -> None:
        for task in list(self.pending):
            task.cancel()
        await asyncio.gather(*self.pending, return_exceptions=True)
