"""The head (last seq and hash) of the audit trail of tickets filed in the current transaction.

Appending an event reads the previous one to chain its hash. A ticket filed in this very
transaction is invisible to every other one until commit, so its head is known without asking
the database: `file_ticket` starts the chain here and `append_event` keeps it current, which
saves a query per event on the filing path. Heads are bound to the transaction that filed the
ticket and are not used or updated inside a SAVEPOINT (whose rollback would leave them wrong).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy.orm import SessionTransaction

from contact_center.core.db.models import Ticket, TicketEvent
from contact_center.core.uow import UnitOfWork
from contact_center.pqrd.domain.tickets import canonical_json
from contact_center.pqrd.queries.filing_rows import insert_events, pending_ticket

Head = tuple[int, str | None]  # (seq of the last event, its hash); (0, None) before the first

_HEADS: WeakKeyDictionary[Ticket, tuple[SessionTransaction, Head]] = WeakKeyDictionary()
_BATCH: ContextVar[list[TicketEvent] | None] = ContextVar("ticket_events_batch", default=None)


@asynccontextmanager
async def batched_events(uow: UnitOfWork) -> AsyncIterator[None]:
    """Within the block, events of tickets filed in this transaction are kept aside and inserted
    in one Core statement when the block ends normally (nothing is written if it raises; the
    caller then rolls back). Filing uses it so its events cost one statement and no ORM flush."""
    batch: list[TicketEvent] = []
    token = _BATCH.set(batch)
    try:
        yield
    finally:
        _BATCH.reset(token)
    pending = pending_ticket(uow.session)
    if pending is None:
        await insert_events(uow.session, batch)
    else:  # the ticket waits for its radicado: its events go out with it (`filing_rows`)
        pending.events.extend((e, canonical_json(e.prev_hash, event_payload(e)).decode()) for e in batch)


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


def batch_event(uow: UnitOfWork, ticket: Ticket, event: TicketEvent) -> bool:
    """Keep `event` for the open `batched_events` block, if any and if this transaction filed the
    ticket (whose trail nobody else can read before commit); False: the caller adds it."""
    batch = _BATCH.get()
    if batch is None or known_head(uow, ticket) is None:
        return False
    batch.append(event)
    return True


def _transaction(uow: UnitOfWork) -> SessionTransaction | None:
    session = uow.session.sync_session
    if session.in_nested_transaction():
        return None
    return session.get_transaction()


def start_chain(uow: UnitOfWork, ticket: Ticket) -> None:
    """Record that `ticket` was just inserted by this transaction: its trail is empty."""
    transaction = _transaction(uow)
    if transaction is not None:
        _HEADS[ticket] = (transaction, (0, None))


def known_head(uow: UnitOfWork, ticket: Ticket) -> Head | None:
    """The head of a ticket filed in this transaction; None when the database must be asked."""
    found = _HEADS.get(ticket)
    transaction = _transaction(uow)
    if found is None or transaction is None or found[0] is not transaction:
        return None
    return found[1]


def advance(uow: UnitOfWork, ticket: Ticket, head: Head) -> None:
    """Move the head after an append, for tickets whose head this transaction knows."""
    found = _HEADS.get(ticket)
    transaction = _transaction(uow)
    if found is not None and transaction is not None and found[0] is transaction:
        _HEADS[ticket] = (transaction, head)
    elif found is not None:
        del _HEADS[ticket]  # appended from elsewhere (a savepoint, a later transaction): forget it
