"""A self-check of the core: do the indexes say exactly what the records say?

Cheap enough for tests and debugging (it rebuilds both indexes from the records and compares), far
too slow for the decision path.
"""

from __future__ import annotations

from collections import Counter

from routing.core.indexes import LaneKey
from routing.core.model import CHANNELS
from routing.core.records import ItemKey, ItemStatus, OfficialKey
from routing.core.state import CoreState


def find_problems(state: CoreState) -> list[str]:
    return [*_reservation_problems(state), *_lane_problems(state), *_official_list_problems(state)]


def _reservation_problems(state: CoreState) -> list[str]:
    problems = []
    offered: Counter[tuple[str, str]] = Counter()
    for item in state.items.values():
        if item.status is ItemStatus.WAITING:
            if item.official_id is not None:
                problems.append(f"waiting item {item.item_id} names {item.official_id}")
            continue
        holders = [o.official_id for o in state.officials.values() if item.item_id in o.item_ids]
        if item.official_id is None or holders != [item.official_id]:
            problems.append(f"item {item.item_id} held by {holders}, names {item.official_id}")
        if item.status is ItemStatus.OFFERED and item.official_id is not None:
            offered[(item.official_id, item.channel)] += 1
    for official in state.officials.values():
        for channel in CHANNELS:
            count = offered[(official.official_id, channel)]
            if official.offered[channel] != count or official.load[channel] < count:
                problems.append(f"{official.official_id} offered counts wrong on {channel}")
    return problems


def _lane_problems(state: CoreState) -> list[str]:
    expected: dict[LaneKey, list[ItemKey]] = {key: [] for key in state.indexes.lanes}
    for item in state.items.values():
        if item.status is ItemStatus.WAITING:
            for queue_id, stage in item.memberships:
                expected[(queue_id, stage, item.channel)].append(item.key)
    return [
        f"lane {key} holds {lane}, expected {sorted(expected[key])}"
        for key, lane in state.indexes.lanes.items()
        if lane != sorted(expected[key])
    ]


def _official_list_problems(state: CoreState) -> list[str]:
    expected: dict[LaneKey, list[OfficialKey]] = {key: [] for key in state.indexes.official_lists}
    problems = []
    for official in state.officials.values():
        qualified = {
            queue.queue_id: stage
            for queue in state.queues.values()
            if (stage := queue.qualifying_stage(official.skills)) is not None
        }
        if official.qualified != qualified:
            problems.append(f"{official.official_id} qualified {official.qualified} not {qualified}")
        for channel in CHANNELS:
            if not (official.ready() and official.has_room(channel)):
                continue
            key = (official.idle_since_us, official.load[channel], official.official_id)
            for queue_id, stage in official.qualified.items():
                expected[(queue_id, stage, channel)].append(key)
    return problems + [
        f"official list {key} holds {listed}, expected {sorted(expected[key])}"
        for key, listed in state.indexes.official_lists.items()
        if listed != sorted(expected[key])
    ]
