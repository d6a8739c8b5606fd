"""Draining: every offer possible now, greedily, best item first.

The result is defined as: repeatedly, the best waiting item that has an eligible official goes to
that item's best official. During a drain items only leave and capacity only shrinks, so an item
that has no eligible official stays without one. Two ways compute the same result:

* by items: walk every waiting item once in priority order and place it if anyone can take it.
  Cost ~ waiting items; best when many officials are free (start-up, recovery).
* by officials: keep each free official's own best item in a heap; the top, if still valid, is the
  best item that anyone can take. Cost ~ free officials; best in steady state, when a few
  officials are free and many items wait. A stale entry (its item taken, or no room left on its
  channel) is recomputed when it surfaces.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

from routing.core.matching import best_item_for, best_official_for
from routing.core.records import ItemKey, ItemRecord, ItemStatus
from routing.core.state import CoreState

# Makes one offer (item to official id); the drain only decides.
OfferMaker = Callable[[ItemRecord, str], None]


def free_officials(state: CoreState) -> list[tuple[ItemKey, str]]:
    """(best item, official id) of every ready official who can take something now."""
    frontier = []
    for official in state.officials.values():
        if official.ready() and (best := best_item_for(official)) is not None:
            frontier.append((best, official.official_id))
    return frontier


def drain_by_items(state: CoreState, make_offer: OfferMaker) -> None:
    waiting = sorted(i.key for i in state.items.values() if i.status is ItemStatus.WAITING)
    for key in waiting:
        item = state.items[key[3]]
        chosen = best_official_for(state.indexes, state.officials, item)
        if chosen is not None:
            make_offer(item, chosen)


def drain_by_officials(state: CoreState, frontier: list[tuple[ItemKey, str]], make_offer: OfferMaker) -> None:
    heapq.heapify(frontier)
    while frontier:
        key, official_id = frontier[0]
        item, official = state.items[key[3]], state.officials[official_id]
        if item.status is ItemStatus.WAITING and official.has_room(item.channel):
            chosen = best_official_for(state.indexes, state.officials, item)
            assert chosen is not None  # official_id itself is eligible
            make_offer(item, chosen)
            continue
        heapq.heappop(frontier)
        if official.ready() and (best := best_item_for(official)) is not None:
            heapq.heappush(frontier, (best, official_id))
