"""Following a PQRD on the portal: radicado + access code -> status, due date and public history.

A wrong code and an unknown radicado get the same answer, and failed attempts count against the
client address and the radicado in the same limiter as `GET /api/v1/pqrd/{radicado}` (Redis-backed
when REDIS_URL is set), so neither the page nor the API can be used to find radicados or guess codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from contact_center.core.errors import NotFound
from contact_center.core.uow import UnitOfWork
from contact_center.pqrd import access
from contact_center.pqrd.domain.legal_clock import PQRD_TYPE_LABELS, PqrdType
from contact_center.pqrd.domain.tickets import STATUS_LABELS, TicketStatus
from contact_center.pqrd.services import tickets

NOT_FOUND_MESSAGE = "No encontramos un radicado con ese número y código de acceso. Revise los dos datos."


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: datetime
    label: str
    note: str | None


@dataclass(frozen=True, slots=True)
class CaseStatus:
    radicado: str
    type_label: str
    subject: str
    status_label: str
    filed_at: datetime
    due_date: date
    public_answer: str | None
    history: list[HistoryEntry]


_EVENT_LABELS = {
    "filed": "Radicado",
    "acknowledged": "Acuse de recibo enviado",
    "attachments_added": "El ciudadano agregó archivos",
    "completion_period_extended": "Se amplió el plazo para completar la solicitud",
}


async def lookup(uow: UnitOfWork, radicado: str, access_code: str, secret: bytes) -> CaseStatus:
    """The public view of a PQRD, or 404 `pqrd_not_found` (the same for a wrong code). The caller
    counts failures (`contact_center.core.http.attempts.guarded`)."""
    return await _lookup(uow, radicado, access_code, secret)


async def _lookup(uow: UnitOfWork, radicado: str, access_code: str, secret: bytes) -> CaseStatus:
    try:
        ticket = await access.ticket_by_code(uow, radicado, access_code, secret)
    except NotFound:
        raise NotFound(NOT_FOUND_MESSAGE, code="pqrd_not_found") from None
    events = await tickets.ticket_events(uow, ticket.id)
    history = [
        HistoryEntry(
            e.at,
            STATUS_LABELS[TicketStatus(e.to_status)] if e.to_status else _EVENT_LABELS.get(e.kind, e.kind),
            e.reason,
        )
        for e in events
        if e.public
    ]
    return CaseStatus(
        radicado=ticket.radicado,
        type_label=PQRD_TYPE_LABELS[PqrdType(ticket.pqrd_type)],
        subject=ticket.subject,
        status_label=STATUS_LABELS[TicketStatus(ticket.status)],
        filed_at=ticket.filed_at,
        due_date=ticket.due_date,
        public_answer=ticket.public_answer,
        history=history,
    )
