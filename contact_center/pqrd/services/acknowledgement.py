"""The acuse de recibo of a PQRD (Ley 1755 de 2015 art. 14; docs/legal-clock.md).

Every filing gets one: its text (radicado, date and time of receipt in Bogotá, type, dependencia and
legal due date) is kept with the ticket as a public ticket event. When the citizen accepted e-mail
notification it is also stored as an `outbound_messages` row in the filing's transaction and sent
afterwards by the job `contact_center.pqrd.jobs:send_acknowledgement`, so a mail server that is down
never stops a filing; the row shows the failure and the periodic sweep retries it (for up to
OUTBOUND_RETRY_MAX_HOURS), or keeps it `waiting` while SMTP_HOST is not configured.

The access code is never written into the message: only its HMAC is stored anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from contact_center.core.clock import BOGOTA
from contact_center.core.db.models import Dependencia, Ticket
from contact_center.core.uow import UnitOfWork
from contact_center.outbound.services.mail import queue_message
from contact_center.pqrd.domain.legal_clock import PQRD_TYPE_LABELS, PqrdType
from contact_center.pqrd.domain.tickets import TicketStatus
from contact_center.pqrd.services.chain import FilingTrail
from contact_center.pqrd.services.dependencia_directory import DependenciaRef, dependencia_ref
from contact_center.pqrd.services.notifications import notice_statuses
from contact_center.pqrd.services.trail import SYSTEM, append_event

ACK_JOB = "contact_center.pqrd.jobs:send_acknowledgement"


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    subject: str
    body: str
    outbound_id: int | None  # the e-mail to send after commit, if the citizen asked for one


def acknowledgement_text(
    ticket: Ticket, dependencia: Dependencia | DependenciaRef, base_url: str
) -> tuple[str, str]:
    """The subject line and the plain-text body of the acuse de recibo, in Spanish."""
    filed = ticket.filed_at.astimezone(BOGOTA)
    kind = PQRD_TYPE_LABELS[PqrdType(ticket.pqrd_type)]
    subject = f"Acuse de recibo - Radicado {ticket.radicado}"
    body = "\n".join(
        [
            "Alcaldía de Pasto - Ventanilla única virtual (Línea 195)",
            "",
            "ACUSE DE RECIBO",
            "",
            f"Su solicitud fue radicada con el número {ticket.radicado}.",
            f"Fecha y hora de recibo: {filed:%d/%m/%Y} a las {filed:%H:%M} (hora de Bogotá).",
            f"Tipo: {kind}.",
            f"Asunto: {ticket.subject}",
            f"Dependencia: {dependencia.name}.",
            f"Fecha límite de respuesta: {ticket.due_date:%d/%m/%Y} "
            f"({ticket.term_days} días hábiles, Ley 1755 de 2015).",
            "",
            f"Consulte el estado en {status_page_url(base_url, ticket.radicado)}",
            "con el código de acceso que recibió al radicar. Por seguridad, este correo no incluye",
            "ese código.",
            "",
            "Este es un mensaje automático; por favor no lo responda.",
        ]
    )
    return subject, body


def status_page_url(base_url: str, radicado: str) -> str:
    """The portal's status page (consulta) with the radicado filled in; the citizen adds the code."""
    return f"{base_url}/portal/pqrd/consulta?{urlencode({'radicado': radicado})}"


async def acknowledge(
    uow: UnitOfWork, ticket: Ticket, *, email: str | None, base_url: str, trail: FilingTrail | None = None
) -> Acknowledgement:
    """Record the acknowledgement with the ticket (and queue its e-mail); the caller commits."""
    dependencia = await dependencia_ref(uow, ticket.dependencia_id)
    subject, body = acknowledgement_text(ticket, dependencia, base_url)
    if TicketStatus.RADICADO not in await notice_statuses(uow):
        email = None  # the administrator turned the e-mail off; the receipt is still on screen
    outbound_id = None
    if email is not None:
        message = await queue_message(uow, to=email, subject=subject, body=body, ticket_id=ticket.id)
        outbound_id = message.id
    await append_event(
        uow,
        ticket,
        "acknowledged",
        SYSTEM,
        public=True,
        data={
            "channels": ["pantalla", "email"] if email else ["pantalla"],
            "outbound_id": outbound_id,
            "text": body,
        },
        trail=trail,
    )
    return Acknowledgement(subject, body, outbound_id)
