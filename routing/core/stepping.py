"""Firing the timers: queue time steps for waiting items and the end of officials' wrap-up.

Every public method of the core that takes `now` fires what is due first, so a late timer never
makes a decision stale; `step_timer` then hands the signals over.
"""

from __future__ import annotations

from routing.core.config import StepKind
from routing.core.instants import from_micros
from routing.core.records import ItemRecord, ItemStatus
from routing.core.signals import StepFired, WrapUpEnded
from routing.core.state import CoreState, Timer, TimerKind


def advance(state: CoreState, now_us: int) -> None:
    while (timer := state.timers.peek()) is not None and timer[0] <= now_us:
        state.timers.pop()
        due_us, _, kind, ref, token = timer
        if kind is TimerKind.STEP:
            _fire_step(state, ref, token, due_us)
        else:
            _end_wrap_up(state, ref, token, due_us)


def next_due(state: CoreState) -> int | None:
    """When the next live timer fires; stale ones are dropped on the way."""
    while (timer := state.timers.peek()) is not None:
        if _is_live(state, timer):
            return timer[0]
        state.timers.pop()
    return None


def schedule_next_step(state: CoreState, item: ItemRecord, step_index: int) -> None:
    steps = state.queues[item.queue_id].steps
    if step_index >= len(steps):
        item.next_step = None
        return
    item.next_step = step_index
    due_us = item.enqueued_us + steps[step_index].offset_us
    state.timers.push(due_us, TimerKind.STEP, item.item_id, step_index)


def _is_live(state: CoreState, timer: Timer) -> bool:
    _, _, kind, ref, token = timer
    if kind is TimerKind.STEP:
        return _step_is_live(state, state.items.get(ref), token, timer[0])
    official = state.officials.get(ref)
    return official is not None and official.in_wrap_up and official.wrap_up_until_us == token


def _step_is_live(state: CoreState, item: ItemRecord | None, step_index: int, due_us: int) -> bool:
    # The due instant tells this item's timer from one set for an earlier item with the same id.
    if item is None or item.next_step != step_index:
        return False
    return due_us == item.enqueued_us + state.queues[item.queue_id].steps[step_index].offset_us


def _fire_step(state: CoreState, item_id: str, step_index: int, due_us: int) -> None:
    item = state.items.get(item_id)
    if item is None or not _step_is_live(state, item, step_index, due_us):
        return
    step = state.queues[item.queue_id].steps[step_index]
    # Lanes hold waiting items only; an offered item changes requirement class off the lanes and
    # is re-queued under its new memberships if the offer fails.
    waiting = item.status is ItemStatus.WAITING
    if waiting and step.kind is not StepKind.CALLBACK:
        state.indexes.dequeue(item)
    if step.kind is StepKind.RELAX:
        item.memberships[0] = (item.queue_id, step.stage)
    elif step.kind is StepKind.OVERFLOW and step.target_queue_id is not None:
        item.memberships.append((step.target_queue_id, 0))
    if waiting and step.kind is not StepKind.CALLBACK:
        state.indexes.enqueue(item)
    at = from_micros(due_us)
    state.signals.append(StepFired(item_id, item.queue_id, step.kind, at, step.target_queue_id))
    schedule_next_step(state, item, step_index + 1)


def _end_wrap_up(state: CoreState, official_id: str, until_us: int, due_us: int) -> None:
    official = state.officials.get(official_id)
    if official is None or not official.in_wrap_up or official.wrap_up_until_us != until_us:
        return
    official.in_wrap_up = False
    state.indexes.place_everywhere(official)
    state.signals.append(WrapUpEnded(official_id, from_micros(due_us)))
