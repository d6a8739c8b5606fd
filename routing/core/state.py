"""Everything the core knows, in one place, so the event handlers can be small functions."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from enum import IntEnum

from routing.core.config import CompiledQueue, RoutingConfig, compile_queue
from routing.core.indexes import CoreIndexes
from routing.core.records import ItemRecord, OfficialRecord
from routing.core.signals import Signal


class TimerKind(IntEnum):
    STEP = 0
    WRAP_UP_END = 1


# (due, sequence, kind, item or official id, token): the token tells a live timer from a stale one
# (the step index an item expects next, or the wrap-up end an official still has).
Timer = tuple[int, int, TimerKind, str, int]


@dataclass
class TimerHeap:
    _heap: list[Timer] = field(default_factory=list)
    _pushed: int = 0  # ties on the due instant fire in the order they were set

    def push(self, due_us: int, kind: TimerKind, ref: str, token: int) -> None:
        self._pushed += 1
        heapq.heappush(self._heap, (due_us, self._pushed, kind, ref, token))

    def peek(self) -> Timer | None:
        return self._heap[0] if self._heap else None

    def pop(self) -> Timer:
        return heapq.heappop(self._heap)


class CoreState:
    def __init__(self, config: RoutingConfig) -> None:
        self.config = config
        self.queues: dict[str, CompiledQueue] = {
            queue.queue_id: compile_queue(queue) for queue in config.queues
        }
        self.officials: dict[str, OfficialRecord] = {}
        self.items: dict[str, ItemRecord] = {}
        self.indexes = CoreIndexes(self.queues)
        self.timers = TimerHeap()
        self.signals: list[Signal] = []
        self.arrivals = 0  # the arrival sequence: an item's original place among equals

    def next_arrival(self) -> int:
        self.arrivals += 1
        return self.arrivals
