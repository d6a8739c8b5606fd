"""The notifier port: the one way services reach connected browsers and apps."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from contact_center.core.events import Event

log = logging.getLogger(__name__)


class Notifier(Protocol):
    async def publish(self, events: Sequence[Event]) -> None: ...


class RecordingNotifier:
    """Keeps what was published; the in-process stand-in for tests and for jobs without sockets."""

    def __init__(self) -> None:
        self.published: list[Event] = []

    async def publish(self, events: Sequence[Event]) -> None:
        self.published.extend(events)


class SocketIONotifier:
    """Emits each event to its namespace and room through python-socketio.

    With `AsyncRedisManager` behind the server (or a write-only manager in a worker) the emit
    reaches clients connected to any process.
    """

    def __init__(self, server: object) -> None:
        self._server = server

    async def publish(self, events: Sequence[Event]) -> None:
        emit_many = getattr(getattr(self._server, "manager", None), "emit_many", None)
        if emit_many is not None and len(events) > 1:
            # Several processes: the events of one commit go to the others as one Redis message.
            try:
                await emit_many([(ev.name, ev.payload, ev.namespace, ev.room, ev.skip_sid) for ev in events])
            except Exception:
                log.exception("notify_failed", extra={"events": len(events)})
            return
        for ev in events:
            try:
                await self._server.emit(  # type: ignore[attr-defined]
                    ev.name, ev.payload, to=ev.room, namespace=ev.namespace, skip_sid=ev.skip_sid
                )
            except Exception:
                # The change is committed already; a failed push must not turn into an HTTP error.
                log.exception("notify_failed", extra={"event": ev.name, "room": ev.room})
