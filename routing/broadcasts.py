"""Coalesced broadcasts off the routing hot path: supervisors' `stats.queues` and the waiting
conversations' `queue.position`.

Both are read from the database (every process sees the same figures) and both change on nearly
every engine pass; computing them inside the pass would put a dozen statements between an official
becoming free and their offer. Instead the engine marks what changed and this sends one round at
most every `interval` seconds, in its own unit of work, while the next pass goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable

from contact_center.core.events import STATS_QUEUES, SUPERVISORS, SUPERVISORS_ROOM, Event
from contact_center.core.uow import UnitOfWorkFactory
from routing import positions, stats
from routing.persistence import Setup

log = logging.getLogger(__name__)


class Broadcasts:
    """`mark()` what changed; a round goes out at most once per `interval` (the first at once)."""

    def __init__(self, uow: UnitOfWorkFactory, setup: Callable[[], Setup | None], interval: float) -> None:
        self.uow = uow
        self.setup = setup
        self.interval = interval
        self._stats = False
        self._queues: set[int] = set()
        self._last = float("-inf")
        self._timer: asyncio.TimerHandle | None = None
        self._running: asyncio.Task[None] | None = None

    def mark(self, queue_ids: Iterable[int] = (), *, stats_changed: bool = True) -> None:
        """Statistics (and these queues' lines) changed: send them in the next round."""
        self._stats = self._stats or stats_changed
        self._queues.update(queue_ids)
        if self._timer is not None or self._running is not None:
            return  # a round is already scheduled or under way; it (or the one after) takes these
        with contextlib.suppress(RuntimeError):  # no running loop: nothing to schedule
            loop = asyncio.get_running_loop()
            delay = max(0.0, self._last + self.interval - loop.time())
            self._timer = loop.call_later(delay, self._start)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._running is not None:
            self._running.cancel()

    async def flush(self) -> None:
        """Send what is marked now (tests and the timer call it)."""
        setup = self.setup()
        queues, send_stats = sorted(self._queues), self._stats
        self._queues, self._stats = set(), False
        if setup is None or not (queues or send_stats):
            return
        async with self.uow() as uow:
            if send_stats:
                figures = await stats.queue_stats(uow, setup)
                uow.emit(Event(STATS_QUEUES, SUPERVISORS, SUPERVISORS_ROOM, stats.stats_payload(figures)))
            await positions.push_queues(uow, queues)
            await uow.commit()

    def _start(self) -> None:
        self._timer = None
        self._last = asyncio.get_running_loop().time()
        self._running = asyncio.create_task(self._guarded(self.flush()), name="routing-broadcasts")

    async def _guarded(self, work: Awaitable[None]) -> None:
        try:
            await work
        except Exception:
            log.exception("routing_broadcast_failed")
        finally:
            self._running = None
            if self._stats or self._queues:
                self.mark(stats_changed=False)  # changes marked during the round: schedule the next
