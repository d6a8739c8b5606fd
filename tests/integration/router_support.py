"""Helpers of the router's integration tests: the app's router parts, conversations, officials."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from contact_center.core.db.models import Conversation, Official
from contact_center.core.events import Event
from contact_center.core.http.keys import NOTIFIER, UOW
from contact_center.core.notifier import Notifier, RecordingNotifier
from contact_center.core.officials import Presence
from contact_center.core.uow import UnitOfWork, UnitOfWorkFactory
from routing.bus import Change, RoutingNotifier
from routing.engine import RoutingEngine
from routing.keys import ROUTER, ROUTING_ENGINE
from routing.service import ItemChannel, NewWorkItem, RouterService


class Tap:
    """Records every event the app publishes, then passes it on to socket.io."""

    def __init__(self, inner: Notifier) -> None:
        self.inner = inner
        self.events: list[Event] = []

    async def publish(self, events: Sequence[Event]) -> None:
        self.events.extend(events)
        await self.inner.publish(events)

    def named(self, name: str, room: str | None = None) -> list[dict[str, Any]]:
        return [e.payload for e in self.events if e.name == name and (room is None or e.room == room)]


class OfferFlag(RecordingNotifier):
    """Records events and sets `flag` once an offer is published: a test waits on it, not on time."""

    def __init__(self, flag: asyncio.Event) -> None:
        super().__init__()
        self.flag = flag

    async def publish(self, events: Sequence[Event]) -> None:
        await super().publish(events)
        if any(e.name == "offer" for e in events):
            self.flag.set()


@dataclass
class Parts:
    router: RouterService
    engine: RoutingEngine
    uow: UnitOfWorkFactory
    tap: Tap

    async def reload(self) -> None:
        """Re-read everything (the demo city was seeded after the engine started)."""
        self.engine.kick(Change(full=True))
        await self.engine.process()


def parts(client: TestClient[Any, Any]) -> Parts:
    app = client.app
    notifier: Any = app[NOTIFIER]
    while not isinstance(notifier, RoutingNotifier):
        notifier = notifier.inner  # wrappers such as the dashboard's ChangeWatch keep it in `inner`
    if not isinstance(notifier.inner, Tap):
        notifier.inner = Tap(notifier.inner)
    return Parts(app[ROUTER], app[ROUTING_ENGINE], app[UOW], notifier.inner)


async def official_id(uow: UnitOfWork, email: str) -> int:
    found = await uow.session.scalar(select(Official.id).where(Official.email == email))
    assert found is not None
    return found


async def new_conversation(uow: UnitOfWork, channel: str = "chat") -> int:
    count = len((await uow.session.scalars(select(Conversation.id))).all())
    row = Conversation(
        channel=channel, external_id=f"test-{count}", state="queued", started_at=uow.clock.now()
    )
    uow.session.add(row)
    await uow.session.flush()
    return row.id


async def presence(p: Parts, official: int, state: Presence, reason: str | None = None) -> None:
    async with p.uow() as uow:
        await p.router.set_presence(uow, official, state, reason)
        await uow.commit()


async def enqueue_chat(
    p: Parts, queue: str = "atencion_general", channel: ItemChannel = "chat"
) -> tuple[int, int]:
    """A new conversation waiting in `queue`: (conversation id, work item id)."""
    async with p.uow() as uow:
        conversation = await new_conversation(uow, channel)
        item = NewWorkItem(
            kind="conversation", queue_code=queue, channel=channel, conversation_id=conversation
        )
        work_item = await p.router.enqueue(uow, item)
        await uow.commit()
    return conversation, work_item
