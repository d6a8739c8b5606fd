"""Queues' business hours against the business calendar and the clock of a unit of work.

The pure rule is `routing.hours`; this module only reads what it needs (a queue's stored hours,
the business calendar from the per-process configuration cache) and turns a closed queue into the
error new live work gets. What a closed queue means for each kind of work:

* New live work (chat, app, voice) does not enter a closed queue: the chat answers an
  out-of-hours state and offers a PQRD, the IVR's `business_hours` node takes its `closed` branch,
  and `RouterService.enqueue` refuses a chat or app item with `queue_closed` (409).
* Items already waiting when the queue closes stay and are served, as in any contact center:
  the citizen was let in while it was open, and the officials still on shift finish the line.
* PQRD tickets are back-office work on a legal clock counted in business days, not hours: the
  router keeps offering them to available officials whatever the queue's hours.
* Transfers by an official and overflow steps move work that was already let in, so they are not
  refused either.
"""

from __future__ import annotations

from typing import Any

from contact_center.core.db.models import Queue
from contact_center.core.errors import Conflict
from contact_center.core.uow import UnitOfWork
from contact_center.pqrd.domain.calendar import BusinessCalendar
from contact_center.pqrd.services.clock import load_clock
from routing.hours import Opening, WeeklyHours, opening, spanish_opening


class QueueClosed(Conflict):
    """New live work refused: the queue is outside its business hours."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message, code="queue_closed", **details)


def hours_of(queue: Queue) -> WeeklyHours:
    """A stored queue's schedule (validated when the administrator saved it)."""
    return WeeklyHours.from_config(queue.business_hours or {}, open_on_holidays=bool(queue.open_on_holidays))


async def business_calendar(uow: UnitOfWork) -> BusinessCalendar:
    """The legal clock's calendar (holidays and closure days), from the configuration cache."""
    return (await load_clock(uow)).calendar


async def opening_now(uow: UnitOfWork, hours: WeeklyHours) -> Opening:
    """Whether the queue is open at the unit of work's clock, and when it opens next if not.
    A queue without a schedule never reads the calendar."""
    if hours.always_open:
        return Opening(True)
    return opening(hours, await business_calendar(uow), uow.clock.now())


def closed_message(name: str, found: Opening, uow: UnitOfWork) -> str:
    when = spanish_opening(found.next_open, uow.clock.now())
    return f"La atención de «{name}» está cerrada en este momento. Abre {when}."


async def refuse_if_closed(uow: UnitOfWork, name: str, hours: WeeklyHours) -> None:
    """Raise `QueueClosed` (with `next_open`) when the queue is outside its hours now."""
    found = await opening_now(uow, hours)
    if not found.open:
        next_open = found.next_open.isoformat() if found.next_open else None
        raise QueueClosed(closed_message(name, found, uow), next_open=next_open)
