"""Notices to citizens about their PQRD, by e-mail (where they accepted it) and SMS (where they gave
a phone), kept as evidence in `outbound_messages` and delivered by jobs.

The messages are stored as `pending` rows inside the transaction that changed the ticket (an
outbox), so a notice exists exactly when the change does; delivery happens after commit, in a job
per message (id f"msg:{outbound_id}") that goes through the one claim-first delivery
(`contact_center.outbound.services.delivery`), and the periodic sweep re-drives rows still pending after a
lost job and failed ones when their next attempt is due. Which status changes reach the citizen
is a setting (`notice_statuses`). An anonymous PQRD without contact data gets nothing sent: its
answer is published on the status page (`tickets.public_answer`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from contact_center.core.db.models import CitizenIdentity, Ticket
from contact_center.core.errors import InvalidInput
from contact_center.core.spanish_dates import long_date
from contact_center.core.uow import UnitOfWork
from contact_center.outbound.jobs import DELIVER_JOB
from contact_center.outbound.models import OutboundMessage
from contact_center.outbound.services import mail
from contact_center.pqrd.domain.tickets import STATUS_LABELS, TicketStatus
from contact_center.pqrd.models.legal import LegalClockSetting
from contact_center.pqrd.services.config_cache import cached

log = logging.getLogger(__name__)

NOTICE_KEY = "citizen_notice_statuses"  # a row of legal_clock_settings
# What the citizen must hear about (Ley 1755 de 2015): the filing (acuse de recibo, art. 14), a
# request to complete (art. 17), an extension (art. 14 parágrafo), a forwarding (art. 21), the
# answer, and a lapse (desistimiento). Assigning and starting work are internal.
DEFAULT_NOTICE_STATUSES = frozenset(
    {
        TicketStatus.RADICADO,
        TicketStatus.SUSPENDIDO,
        TicketStatus.PRORROGADO,
        TicketStatus.TRASLADADO,
        TicketStatus.RESPONDIDO,
        TicketStatus.DESISTIDO,
    }
)


@dataclass(frozen=True)
class Contact:
    email: str | None
    phone: str | None


async def queue_message(
    uow: UnitOfWork, channel: str, to: str, subject: str, body: str, ticket_id: int | None
) -> OutboundMessage:
    """A pending outbound row in the caller's transaction (the intake feature's outbox table)."""
    return await mail.queue_message(
        uow, to=to, subject=subject, body=body, channel=channel, ticket_id=ticket_id
    )


async def citizen_contact(uow: UnitOfWork, ticket: Ticket) -> Contact:
    """Where the citizen accepted to be told: e-mail only with `notify_by_email`, SMS with a phone."""
    if ticket.citizen_id is None or ticket.anonymous:
        return Contact(None, None)
    rows = await uow.session.execute(
        select(CitizenIdentity.kind, CitizenIdentity.value)
        .where(CitizenIdentity.citizen_id == ticket.citizen_id, CitizenIdentity.kind.in_(["email", "phone"]))
        .order_by(CitizenIdentity.verified.desc(), CitizenIdentity.id.desc())
    )
    found: dict[str, str] = {}
    for kind, value in rows.all():
        found.setdefault(kind, value)
    email = found.get("email") if ticket.notify_by_email else None
    return Contact(email, found.get("phone"))


def notice_text(
    ticket: Ticket, target: TicketStatus, reason: str | None, data: dict[str, Any]
) -> tuple[str, str]:
    """Subject and body of the notice of a status change (Spanish, plain text)."""
    label = STATUS_LABELS[target]
    subject = f"Radicado {ticket.radicado}: {label}"
    lines = [f"Su PQRD con radicado {ticket.radicado} ({ticket.subject}) está ahora: {label}."]
    if target is TicketStatus.SUSPENDIDO:
        lines.append(f"Necesitamos que complete su petición: {reason or ''}".strip())
        if data.get("completion_deadline"):
            deadline = spanish_day(str(data["completion_deadline"]))
            lines.append(f"Tiene plazo hasta el {deadline} (art. 17, Ley 1755 de 2015).")
    elif target is TicketStatus.PRORROGADO:
        lines.append(f"El plazo para responder se prorrogó hasta el {long_date(ticket.due_date)}.")
        lines.append(f"Motivos: {reason or ''}")
    elif target is TicketStatus.RESPONDIDO:
        lines.append("Respuesta de la Alcaldía:")
        lines.append(ticket.public_answer or str(data.get("answer", "")))
    elif target is TicketStatus.TRASLADADO:
        authority = str(data.get("authority") or "").strip()
        receiver = f"a {authority}, la entidad competente" if authority else "a la entidad competente"
        lines.append(f"Su petición fue trasladada {receiver} (art. 21, Ley 1755 de 2015).")
        if reason:
            lines.append(f"Motivo: {reason}")
    elif reason:
        lines.append(reason)
    lines.append("Consulte su radicado con el código de acceso en el portal o en la Línea 195.")
    return subject, "\n\n".join(lines)


def spanish_day(iso: str) -> str:
    """ "2026-12-15" as "martes 15 de diciembre de 2026" (an unreadable value is shown as it is)."""
    try:
        return long_date(date.fromisoformat(iso))
    except ValueError:
        return iso


def sms_text(ticket: Ticket, target: TicketStatus) -> str:
    """A short SMS: radicado and new status; the detail is in the e-mail and on the status page."""
    text = f"Alcaldía de Pasto: su PQRD {ticket.radicado} está «{STATUS_LABELS[target]}»."
    if target in {TicketStatus.SUSPENDIDO, TicketStatus.PRORROGADO, TicketStatus.RESPONDIDO}:
        text += " Consulte el detalle en el portal o en la Línea 195."
    return text


async def notify_status_change(
    uow: UnitOfWork,
    ticket: Ticket,
    target: TicketStatus,
    *,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> list[int]:
    """Queue the citizen's notices of a status change in the caller's transaction; their ids.

    Nothing for a status the administrator does not notify (`notice_statuses`).
    """
    if target not in await notice_statuses(uow):
        return []
    contact = await citizen_contact(uow, ticket)
    ids: list[int] = []
    if contact.email:
        subject, body = notice_text(ticket, target, reason, data or {})
        ids.append((await queue_message(uow, "email", contact.email, subject, body, ticket.id)).id)
    if contact.phone:
        ids.append(
            (await queue_message(uow, "sms", contact.phone, "", sms_text(ticket, target), ticket.id)).id
        )
    if ids:
        deliver_after_commit(uow, ids)
    return ids


def deliver_after_commit(uow: UnitOfWork, outbound_ids: list[int]) -> None:
    """Hand the messages to delivery jobs as soon as the transaction that stored them commits,
    instead of waiting for the next sweep (which still re-drives them if this enqueue is lost)."""
    jobs = uow.jobs
    if jobs is None:
        return

    async def enqueue() -> None:
        for outbound_id in outbound_ids:
            await jobs.enqueue(DELIVER_JOB, outbound_id, job_id=f"msg:{outbound_id}")

    uow.after_commit(enqueue)


# -- which status changes reach the citizen ---------------------------------------------------------


async def notice_statuses(uow: UnitOfWork) -> frozenset[TicketStatus]:
    """The statuses whose changes are notified to citizens: the stored setting, else the default
    (from the configuration cache)."""
    return await cached(uow, NOTICE_KEY, lambda: _read_notice_statuses(uow))


async def _read_notice_statuses(uow: UnitOfWork) -> frozenset[TicketStatus]:
    row = await uow.session.get(LegalClockSetting, NOTICE_KEY)
    return DEFAULT_NOTICE_STATUSES if row is None else frozenset(TicketStatus(v) for v in row.value)


async def set_notice_statuses(
    uow: UnitOfWork, statuses: Iterable[str], official_id: int | None
) -> frozenset[TicketStatus]:
    """Choose the status changes that notify citizens (codes of `TicketStatus`); commits."""
    chosen: set[TicketStatus] = set()
    for code in statuses:
        try:
            chosen.add(TicketStatus(code))
        except ValueError:
            known = ", ".join(s.value for s in TicketStatus)
            raise InvalidInput(f"Estado desconocido «{code}»: use {known}.", code="unknown_status") from None
    row = await uow.session.get(LegalClockSetting, NOTICE_KEY)
    if row is None:
        row = LegalClockSetting(key=NOTICE_KEY)
        uow.session.add(row)
    row.value = sorted(s.value for s in chosen)
    row.updated_at, row.updated_by = uow.clock.now(), official_id
    await uow.commit()
    return frozenset(chosen)


# -- delivery --------------------------------------------------------------------------------------
