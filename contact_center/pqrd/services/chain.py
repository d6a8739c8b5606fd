"""The audit trail of a ticket being filed: its head (last seq and hash) and its first events, held
by the filing itself until they are written together.

Appending an event reads the previous one to chain its hash. A ticket filed in this very transaction
is invisible to every other one until commit, so its head is known without asking the database, and
its first events (filed, acknowledged) can wait and go out in one statement at the filing's end —
or, when the radicado is taken last (`filing_rows.PendingTicket`), inside that last statement.
`file_ticket_row` returns the `FilingTrail`; whoever appends to the new ticket before the end passes
it to `append_event`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contact_center.core.db.models import Ticket, TicketEvent
from contact_center.pqrd.domain.tickets import canonical_json
from contact_center.pqrd.queries.filing_rows import PendingTicket, insert_events

Head = tuple[int, str | None]  # (seq of the last event, its hash); (0, None) before the first


@dataclass
class FilingTrail:
    """The trail of the ticket a filing is writing: known head, events not written yet."""

    ticket: Ticket
    head: Head = (0, None)
    events: list[TicketEvent] = field(default_factory=list)

    def keep(self, event: TicketEvent) -> None:
        self.events.append(event)
        self.head = (event.seq, event.hash)

    async def write(self, session: AsyncSession, pending: PendingTicket | None) -> None:
        """The events in one Core statement, or handed to the ticket that waits for its number."""
        if pending is None:
            await insert_events(session, self.events)
        else:
            pending.events.extend(
                (e, canonical_json(e.prev_hash, event_payload(e)).decode()) for e in self.events
            )
        self.events = []


def _canonical(event: TicketEvent) -> str:
    """What the event's draft hash was computed from (the SQL recomputes it with the radicado)."""
    return canonical_json(event.prev_hash, event_payload(event)).decode()


def event_payload(event: TicketEvent) -> dict[str, Any]:
    """The fields of a stored event that its hash covers."""
    return {
        "ticket_id": event.ticket_id,
        "seq": event.seq,
        "at": event.at,
        "actor_kind": event.actor_kind,
        "actor_id": event.actor_id,
        "kind": event.kind,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "reason": event.reason,
        "public": event.public,
        "data": event.data,
    }
