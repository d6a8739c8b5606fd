"""The brute-force reference: the same decisions as `RoutingCore`, by scanning everything.

It reads only the raw facts of the core's records (presence, wrap-up end, skills, capacity, load,
enqueue time, priority) and derives each item's stage and overflows from its wait, so it checks the
indexes *and* the timer machinery. Property tests compare the core with it; the benchmark measures
how much faster the indexes are. Not for production use: every decision is O(items) or O(officials).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from routing.core import ItemRecord, ItemStatus, Offer, OfficialRecord, Presence, RoutingCore
from routing.core.config import CompiledQueue, StepKind, meets
from routing.core.instants import to_micros


def naive_match_official(core: RoutingCore, official_id: str, now: datetime) -> str | None:
    """Scan every item: the best waiting one this official may take, or None."""
    now_us = to_micros(now)
    official = core.officials[official_id]
    if not _ready(official, now_us):
        return None
    best: tuple[tuple[int, int, int], str] | None = None
    for item in core.items.values():
        if item.status is not ItemStatus.WAITING:
            continue
        if official.load[item.channel] >= official.capacity[item.channel]:
            continue
        if not _eligible(core.queues, official.skills, item, now_us):
            continue
        key = (-item.priority, item.enqueued_us, item.seq)
        if best is None or key < best[0]:
            best = (key, item.item_id)
    return None if best is None else best[1]


def naive_match_item(core: RoutingCore, item_id: str, now: datetime) -> str | None:
    """Scan every official: the one this waiting item goes to, or None."""
    now_us = to_micros(now)
    item = core.items[item_id]
    if item.status is not ItemStatus.WAITING:
        return None
    home = core.queues[item.queue_id]
    channel = item.channel
    best: tuple[tuple[int, int, int, str], str] | None = None
    for official in core.officials.values():
        if not _ready(official, now_us) or official.load[channel] >= official.capacity[channel]:
            continue
        if not _eligible(core.queues, official.skills, item, now_us):
            continue
        score = home.skill_score(official.skills)
        key = (official.idle_since_us, official.load[channel], -score, official.official_id)
        if best is None or key < best[0]:
            best = (key, official.official_id)
    return None if best is None else best[1]


def naive_drain(core: RoutingCore, now: datetime) -> list[Offer]:
    """Offer, one at a time, the best waiting item that has an eligible official."""
    made: list[Offer] = []
    while True:
        waiting = [item for item in core.items.values() if item.status is ItemStatus.WAITING]
        waiting.sort(key=lambda item: (-item.priority, item.enqueued_us, item.seq))
        for item in waiting:
            official_id = naive_match_item(core, item.item_id, now)
            if official_id is not None:
                made.append(core.offer(item.item_id, official_id, now))
                break
        else:
            return made


def _ready(official: OfficialRecord, now_us: int) -> bool:
    in_wrap_up = official.wrap_up_until_us is not None and official.wrap_up_until_us > now_us
    return official.presence is Presence.AVAILABLE and not in_wrap_up


def _eligible(
    queues: Mapping[str, CompiledQueue], skills: Mapping[str, int], item: ItemRecord, now_us: int
) -> bool:
    home = queues[item.queue_id]
    stage = 0
    overflowed_to: list[str] = []
    for step in home.steps:
        if item.enqueued_us + step.offset_us > now_us:
            break
        if step.kind is StepKind.RELAX:
            stage = step.stage
        elif step.kind is StepKind.OVERFLOW and step.target_queue_id is not None:
            overflowed_to.append(step.target_queue_id)
    if meets(skills, home.stages[stage]):
        return True
    return any(meets(skills, queues[target].stages[0]) for target in overflowed_to)
