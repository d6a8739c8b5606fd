"""The legal clock as configured (closures, terms, settings) and a ticket's clock facts in its
`clock` JSON column. Re-exported by `contact_center.pqrd.services.tickets`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select

from contact_center.core.db.models import BusinessClosure, Ticket
from contact_center.core.uow import UnitOfWork
from contact_center.pqrd.domain.calendar import BusinessCalendar
from contact_center.pqrd.domain.legal_clock import (
    ClockFacts,
    ClockSettings,
    Extension,
    LegalClock,
    PqrdType,
    PriorityFlag,
    Suspension,
)
from contact_center.pqrd.services.config_cache import cached


async def load_clock(uow: UnitOfWork) -> LegalClock:
    """The legal clock with the recorded closure days, the administrator's terms and settings.

    Kept in the per-process configuration cache (`config_cache`), with its calendar's years
    indexed once, instead of three queries and a new index per call."""
    return await cached(uow, "legal_clock", lambda: _read_clock(uow))


async def _read_clock(uow: UnitOfWork) -> LegalClock:
    from contact_center.pqrd.services.calendar_admin import load_clock_settings

    closures = (await uow.session.scalars(select(BusinessClosure.day))).all()
    return LegalClock(BusinessCalendar(closures), await load_clock_settings(uow))


def ticket_clock(clock: LegalClock, ticket: Ticket) -> LegalClock:
    """The clock for one ticket: the term it was filed with, whatever the administrator set since."""
    settings: ClockSettings = clock.settings.with_terms({ticket.pqrd_type: ticket.term_days})
    return LegalClock(clock.calendar, settings)


def clock_facts(ticket: Ticket) -> ClockFacts:
    """The legal clock's facts of a ticket, from its columns and its `clock` JSON."""
    stored: Mapping[str, Any] = ticket.clock or {}
    extension = stored.get("extension")
    return ClockFacts(
        pqrd_type=PqrdType(ticket.pqrd_type),
        filed_at=ticket.filed_at,
        verbal=bool(stored.get("verbal", False)),
        suspensions=tuple(
            Suspension(
                date.fromisoformat(s["suspended_on"]),
                date.fromisoformat(s["resumed_on"]) if s.get("resumed_on") else None,
                bool(s.get("extended", False)),
            )
            for s in stored.get("suspensions", [])
        ),
        extension=(
            Extension(
                date.fromisoformat(extension["granted_on"]),
                date.fromisoformat(extension["new_due_date"]),
                extension["reasons"],
            )
            if extension
            else None
        ),
        priority_flags=frozenset(PriorityFlag(f) for f in ticket.priority_flags or []),
    )


def store_facts(ticket: Ticket, facts: ClockFacts, extra: Mapping[str, Any] | None = None) -> None:
    """Write the facts back into `ticket.clock` (dates as ISO strings), keeping other keys."""
    ext = facts.extension
    ticket.clock = {
        **(ticket.clock or {}),
        **(extra or {}),
        "verbal": facts.verbal,
        "suspensions": [
            {
                "suspended_on": s.suspended_on.isoformat(),
                "resumed_on": s.resumed_on.isoformat() if s.resumed_on else None,
                "extended": s.extended,
            }
            for s in facts.suspensions
        ],
        "extension": (
            {
                "granted_on": ext.granted_on.isoformat(),
                "new_due_date": ext.new_due_date.isoformat(),
                "reasons": ext.reasons,
            }
            if ext
            else None
        ),
    }
