"""The two indexes that make a decision cost a few list peeks instead of a scan.

Item lanes: one sorted list of item keys per (queue, stage, channel), holding the waiting items of
that requirement class. An item sits in its home queue's lane at its current stage and in the
stage-0 lane of every queue it has overflowed to. The head of a lane is its best item.

Official lists: one sorted list of official keys per (queue, stage, channel), holding the officials
whose *earliest* qualifying stage for that queue is that stage, who are available, out of wrap-up
and have room on that channel. An item at stage s is eligible to every list of stages 0..s.

Each official also keeps direct references to the item lanes they may serve on each channel (every
stage from their earliest qualifying one on), recomputed only when skills change; so a freed
official's decision is "take the smallest head among my lanes". Sorted lists with `bisect` are
stdlib, exact (no lazy deletion), and keep an item's place when it is re-queued.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable, Mapping
from typing import TypeVar

from routing.core.config import CompiledQueue
from routing.core.model import CHANNELS, Channel
from routing.core.records import ItemKey, ItemRecord, OfficialKey, OfficialRecord

LaneKey = tuple[str, int, Channel]
_K = TypeVar("_K", ItemKey, OfficialKey)


def _remove(ordered: list[_K], key: _K) -> None:
    at = bisect_left(ordered, key)
    if at == len(ordered) or ordered[at] != key:
        raise LookupError(f"index out of sync: {key!r} is missing")
    del ordered[at]


class CoreIndexes:
    def __init__(self, queues: Mapping[str, CompiledQueue]) -> None:
        self.queues = queues
        self.lanes: dict[LaneKey, list[ItemKey]] = {}
        self.official_lists: dict[LaneKey, list[OfficialKey]] = {}
        for queue in queues.values():
            for stage in range(len(queue.stages)):
                for channel in CHANNELS:
                    self.lanes[(queue.queue_id, stage, channel)] = []
                    self.official_lists[(queue.queue_id, stage, channel)] = []

    # Items -----------------------------------------------------------------------------------

    def enqueue(self, item: ItemRecord) -> None:
        for queue_id, stage in item.memberships:
            insort(self.lanes[(queue_id, stage, item.channel)], item.key)

    def dequeue(self, item: ItemRecord) -> None:
        for queue_id, stage in item.memberships:
            _remove(self.lanes[(queue_id, stage, item.channel)], item.key)

    # Officials -------------------------------------------------------------------------------

    def qualify(self, official: OfficialRecord) -> None:
        """Recompute which requirement classes the official meets; call while withdrawn."""
        official.qualified = {}
        for queue in self.queues.values():
            stage = queue.qualifying_stage(official.skills)
            if stage is not None:
                official.qualified[queue.queue_id] = stage
        official.lanes_by_channel = {
            channel: tuple(self._lanes_from(official.qualified.items(), channel)) for channel in CHANNELS
        }

    def _lanes_from(self, qualified: Iterable[tuple[str, int]], channel: Channel) -> Iterable[list[ItemKey]]:
        for queue_id, first_stage in qualified:
            for stage in range(first_stage, len(self.queues[queue_id].stages)):
                yield self.lanes[(queue_id, stage, channel)]

    def place(self, official: OfficialRecord, channel: Channel) -> None:
        """Put the official in, out of, or at their new place in the lists of one channel."""
        old = official.index_keys.get(channel)
        new: OfficialKey | None = None
        if official.ready() and official.has_room(channel):
            new = (official.idle_since_us, official.load[channel], official.official_id)
        if old == new:
            return
        for queue_id, stage in official.qualified.items():
            ordered = self.official_lists[(queue_id, stage, channel)]
            if old is not None:
                _remove(ordered, old)
            if new is not None:
                insort(ordered, new)
        if new is None:
            del official.index_keys[channel]
        else:
            official.index_keys[channel] = new

    def place_everywhere(self, official: OfficialRecord) -> None:
        for channel in CHANNELS:
            self.place(official, channel)

    def withdraw(self, official: OfficialRecord) -> None:
        for channel, old in list(official.index_keys.items()):
            for queue_id, stage in official.qualified.items():
                _remove(self.official_lists[(queue_id, stage, channel)], old)
            del official.index_keys[channel]
