"""The two decisions, read straight off the indexes.

Both assume the caller has fired the timers due (stages and wrap-ups are current).
"""

from __future__ import annotations

from collections.abc import Mapping

from routing.core.indexes import CoreIndexes
from routing.core.model import CHANNELS
from routing.core.records import ItemKey, ItemRecord, OfficialKey, OfficialRecord


def best_item_for(official: OfficialRecord) -> ItemKey | None:
    """The best waiting item this ready official may take: the smallest head of their lanes."""
    best: ItemKey | None = None
    lanes_by_channel = official.lanes_by_channel
    for channel in CHANNELS:
        if official.load[channel] >= official.capacity[channel]:
            continue
        for lane in lanes_by_channel[channel]:
            if lane and (best is None or lane[0] < best):
                best = lane[0]
    return best


def best_official_for(
    indexes: CoreIndexes, officials: Mapping[str, OfficialRecord], item: ItemRecord
) -> str | None:
    """The official a waiting item goes to: longest idle, least load, highest level, then id.

    The official lists are ordered by (idle since, load, id); the level depends on the item's home
    queue, so it is only computed for the officials tied on idle time and load at the front.
    """
    front: tuple[int, int] | None = None
    tied: list[str] = []
    for queue_id, stage in item.memberships:
        for eligible_stage in range(stage + 1):
            ordered = indexes.official_lists[(queue_id, eligible_stage, item.channel)]
            if not ordered:
                continue
            head = ordered[0]
            if front is None or (head[0], head[1]) < front:
                front = (head[0], head[1])
                tied = _tied_at_front(ordered)
            elif (head[0], head[1]) == front:
                tied.extend(_tied_at_front(ordered))
    if len(tied) <= 1:
        return tied[0] if tied else None
    home = indexes.queues[item.queue_id]
    return min(set(tied), key=lambda oid: (-home.skill_score(officials[oid].skills), oid))


def _tied_at_front(ordered: list[OfficialKey]) -> list[str]:
    idle_since, load, _ = ordered[0]
    tied = []
    for key in ordered:
        if key[0] != idle_since or key[1] != load:
            break
        tied.append(key[2])
    return tied
