"""socket.io clients for the chat, console and dashboard tests: they record every event received."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

import pytest
import socketio

from contact_center.citizens.domain import PRIVACY_NOTICE_VERSION

OPEN: list[Peer] = []


async def close_all() -> None:
    """Disconnect every peer a test opened (a connected client would hold the server's shutdown)."""
    while OPEN:
        peer = OPEN.pop()
        if peer.client.connected:
            await peer.client.disconnect()


class Peer:
    """One connection to one namespace; `next(event)` waits for the next event of that name."""

    def __init__(self, namespace: str) -> None:
        OPEN.append(self)
        self.namespace = namespace
        self.client = socketio.AsyncClient(reconnection=False)
        self.events: dict[str, asyncio.Queue[Any]] = defaultdict(asyncio.Queue)
        self.client.on("*", self._record, namespace=namespace)

    async def _record(self, event: str, data: Any = None) -> None:
        self.events[event].put_nowait(data)

    async def connect(self, url: str, auth: Any = None) -> Peer:
        await self.client.connect(
            url, namespaces=[self.namespace], auth=auth, transports=["websocket"], wait_timeout=5
        )
        return self

    async def call(self, event: str, data: Any = None, wait: float = 10) -> Any:
        return await self.client.call(event, data, namespace=self.namespace, timeout=wait)

    async def next(self, event: str, wait: float = 5, where: Any = None) -> Any:
        """The next `event` (for which `where(data)` holds, when given)."""
        async with asyncio.timeout(wait):
            while True:
                data = await self.events[event].get()
                if where is None or where(data):
                    return data

    def drain(self, event: str) -> list[Any]:
        queue = self.events[event]
        out = []
        while not queue.empty():
            out.append(queue.get_nowait())
        return out

    async def close(self) -> None:
        await self.client.disconnect()


async def citizen(url: str, **start: Any) -> tuple[Peer, dict[str, Any]]:
    """A citizen who opened the chat and started a conversation (consent given)."""
    peer = await Peer("/chat").connect(url)
    ack = await peer.call("start", {"consent": True, "notice_version": PRIVACY_NOTICE_VERSION, **start})
    assert ack.get("ok"), ack
    return peer, ack


async def seed_before_start(settings: Any) -> None:
    """seed-demo and the canned answers, before the app starts (the router reads its queues at start)."""
    from agents_ui.canned import seed_answers
    from contact_center.core.clock import SystemClock
    from contact_center.core.db.engine import create_engine, session_factory
    from contact_center.core.notifier import RecordingNotifier
    from contact_center.core.uow import UnitOfWorkFactory
    from contact_center.seed import seed_demo

    engine = create_engine(settings.effective_database_url, pool_size=2)
    try:
        factory = UnitOfWorkFactory(session_factory(engine), RecordingNotifier(), SystemClock())
        async with factory() as uow:
            await seed_demo(uow)
        async with factory() as uow:
            await seed_answers(uow)
    finally:
        await engine.dispose()


@pytest.fixture
async def console(make_client: Any, settings: Any) -> AsyncIterator[Any]:
    """A test client on a database seeded before the app (and its router) started; the peers a
    test opened are disconnected before the app stops."""
    await seed_before_start(settings)
    yield await make_client()
    await close_all()
