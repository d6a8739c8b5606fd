"""Ordered, guarded delivery of AMI events to the host's handlers.

The socket reader only appends to a queue; one task drains it and calls handlers one event at a
time, so a handler that awaits (a database transaction) still sees events in Asterisk's order, and
a handler that raises is logged with the event name and the next event is delivered as usual.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from channels.asterisk.errors import MalformedAmiEvent
from channels.asterisk.events import CallEvent, Disposition, classify, event_name, parse_event

log = logging.getLogger(__name__)

RawEvent = Mapping[str, Any]
EventHandler = Callable[[CallEvent], Awaitable[None] | None]
RawEventHandler = Callable[[RawEvent], Awaitable[None] | None]
Job = Callable[[], Awaitable[None]]


@dataclass(slots=True)
class DeliveryStats:
    received: int = 0
    typed: int = 0
    ignored: int = 0
    unknown: int = 0
    malformed: int = 0
    handler_errors: int = 0


@dataclass(frozen=True, slots=True)
class _Job:
    run: Job


class EventPump:
    def __init__(self) -> None:
        self.stats = DeliveryStats()
        self._handlers: list[EventHandler] = []
        self._raw_handlers: list[RawEventHandler] = []
        self._queue: deque[RawEvent | _Job] = deque()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._unknown_seen: set[str] = set()

    def subscribe(self, handler: EventHandler) -> None:
        self._handlers.append(handler)

    def subscribe_raw(self, handler: RawEventHandler) -> None:
        self._raw_handlers.append(handler)

    def push(self, raw: RawEvent) -> None:
        """Called from the socket reader: never blocks, never raises."""
        self._queue.append(raw)
        self._idle.clear()
        self._wake.set()

    def push_job(self, job: Job) -> None:
        """Run ``job`` in the event order (after what is already queued, before what follows)."""
        self._queue.append(_Job(job))
        self._idle.clear()
        self._wake.set()

    async def drained(self) -> None:
        await self._idle.wait()

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                item = self._queue.popleft()
                if isinstance(item, _Job):
                    await self._run_job(item.run)
                else:
                    await self._deliver(item)
            self._idle.set()

    async def _run_job(self, job: Job) -> None:
        try:
            await job()
        except Exception:
            log.exception("ami_job_failed", extra={"job": getattr(job, "__qualname__", repr(job))})

    async def _deliver(self, raw: RawEvent) -> None:
        self.stats.received += 1
        name = event_name(raw)
        for raw_handler in self._raw_handlers:
            await self._call(raw_handler, raw, name)
        typed = self._parse(raw, name)
        if typed is not None:
            for handler in self._handlers:
                await self._call(handler, typed, name)

    def _parse(self, raw: RawEvent, name: str) -> CallEvent | None:
        disposition = classify(name)
        if disposition is Disposition.IGNORED:
            self.stats.ignored += 1
            return None
        if disposition is Disposition.UNKNOWN:
            self._note_unknown(name)
            return None
        try:
            typed = parse_event(raw)
        except MalformedAmiEvent as exc:
            self.stats.malformed += 1
            log.warning("ami_event_malformed", extra={"event": name, "error": str(exc)})
            return None
        self.stats.typed += 1
        return typed

    def _note_unknown(self, name: str) -> None:
        self.stats.unknown += 1
        if name not in self._unknown_seen:  # once per kind: a chatty PBX must not flood the log
            self._unknown_seen.add(name)
            log.info("ami_event_unknown", extra={"event": name})

    async def _call(self, handler: Callable[[Any], Any], event: Any, name: str) -> None:
        try:
            result = handler(event)
            if inspect.isawaitable(result):
                await result
        except Exception:
            self.stats.handler_errors += 1
            log.exception(
                "ami_handler_failed",
                extra={"event": name, "handler": getattr(handler, "__qualname__", repr(handler))},
            )
