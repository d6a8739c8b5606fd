"""The audit trail of a ticket: who did what, as append-only events chained by their hashes.

Every change to a ticket goes through `append_event` in the same transaction as the change itself
(`ticket_events` is append-only; `contact-center tickets verify-chain` checks the chain).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from sqlalchemy import select

from contact_center.core.db.models import Ticket, TicketEvent
from contact_center.core.uow import UnitOfWork
from contact_center.pqrd.domain.tickets import event_hash
from contact_center.pqrd.services.chain import FilingTrail, event_payload


@dataclass(frozen=True)
class Actor:
    """Who did something to a ticket: a citizen, an official (with their id) or the system."""

    kind: Literal["citizen", "official", "system"]
    id: int | None = None


SYSTEM = Actor("system")


def _json_safe(data: Mapping[str, Any] | None) -> dict[str, Any]:
    # Hash exactly what the JSON column will hand back: dates become strings, tuples lists.
    def default(value: object) -> str:
        if isinstance(value, date):
            return value.isoformat()
        return str(value)

    loaded: dict[str, Any] = json.loads(json.dumps(dict(data or {}), default=default))
    return loaded


async def append_event(
    uow: UnitOfWork,
    ticket: Ticket,
    kind: str,
    actor: Actor,
    *,
    reason: str | None = None,
    public: bool = False,
    data: dict[str, Any] | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    trail: FilingTrail | None = None,
) -> TicketEvent:
    """Append one event to the ticket's audit trail, chained to the previous event's hash.

    `trail`: the ticket is being filed in this transaction; the event waits in the trail and is
    written with the filing's other first events (`FilingTrail.write`)."""
    head = trail.head if trail is not None else await _last_event(uow, ticket.id)
    event = new_event(
        ticket.id,
        head,
        uow.clock.now(),
        kind,
        actor,
        reason=reason,
        public=public,
        data=data,
        from_status=from_status,
        to_status=to_status,
    )
    if trail is not None:
        trail.keep(event)
    else:
        uow.session.add(event)
        await uow.session.flush()
    return event


def new_event(
    ticket_id: int,
    head: tuple[int, str | None],
    at: datetime,
    kind: str,
    actor: Actor,
    *,
    reason: str | None = None,
    public: bool = False,
    data: Mapping[str, Any] | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
) -> TicketEvent:
    """The event after `head` (the seq and hash of the ticket's last event; (0, None) for the
    first) with its chained hash; not written."""
    event = TicketEvent(
        ticket_id=ticket_id,
        seq=head[0] + 1,
        # Both engines keep microseconds; UTC makes the hashed ISO string the same on the way back.
        at=at.astimezone(UTC),
        actor_kind=actor.kind,
        actor_id=actor.id,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        public=public,
        data=_json_safe(data),
        prev_hash=head[1],
    )
    event.hash = event_hash(event.prev_hash, event_payload(event))
    return event


async def _last_event(uow: UnitOfWork, ticket_id: int) -> tuple[int, str | None]:
    last = (
        await uow.session.execute(
            select(TicketEvent.seq, TicketEvent.hash)
            .where(TicketEvent.ticket_id == ticket_id)
            .order_by(TicketEvent.seq.desc())
            .limit(1)
        )
    ).first()
    return (last.seq, last.hash) if last else (0, None)
