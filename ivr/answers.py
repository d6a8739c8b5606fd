"""The host's answers to the interpreter's requests: radicado status, line hours, verbal PQRDs.

Each answer runs inside the caller's unit of work, so what a request changes (a filed PQRD) is
committed together with the call's new place in the flow, or not at all.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import time
from time import monotonic

from aiohttp import web
from sqlalchemy import select

from contact_center.citizens.services.identities import CitizenDetails, normalize_phone
from contact_center.core.clock import BOGOTA
from contact_center.core.db.models import Attachment, Conversation, Queue, Ticket
from contact_center.core.errors import DomainError
from contact_center.core.uow import UnitOfWork
from contact_center.pqrd.domain.calendar import BusinessCalendar, bogota_date
from contact_center.pqrd.domain.legal_clock import PQRD_TYPE_LABELS, PqrdType
from contact_center.pqrd.domain.tickets import TicketStatus
from contact_center.pqrd.services.attachments import AttachmentStore
from contact_center.pqrd.services.intake import Filing, file_pqrd
from contact_center.pqrd.services.tickets import load_clock, ticket_by_radicado
from ivr.flow import CheckHours, FilePqrd, HoursResult, Lookup, LookupResult, PqrdFiled, spanish_date
from ivr.models import IvrFiling
from routing import queue_hours
from routing.hours import spanish_opening

log = logging.getLogger(__name__)

RADICADO_STATUS = "radicado_status"
LINE_SCHEDULE = "linea195"
CALENDAR_TTL_S = 60.0

# How a status reads in "El radicado ... se encuentra {estado}".
SPOKEN_STATUS: dict[TicketStatus, str] = {
    TicketStatus.RADICADO: "radicado y pendiente de asignación",
    TicketStatus.ASIGNADO: "asignado a un funcionario",
    TicketStatus.EN_TRAMITE: "en trámite",
    TicketStatus.SUSPENDIDO: "suspendido, en espera de la información que le solicitamos",
    TicketStatus.PRORROGADO: "en trámite, con prórroga del plazo de respuesta",
    TicketStatus.RESPONDIDO: "respondido",
    TicketStatus.CERRADO: "cerrado",
    TicketStatus.TRASLADADO: "trasladado a la entidad competente",
    TicketStatus.DESISTIDO: "cerrado por desistimiento",
}


@dataclass(frozen=True)
class LineHours:
    """When the 195 line is attended: business days (the legal calendar), from `opens` to `closes`
    in America/Bogota. Outside them the flow offers only self-service and verbal filing."""

    opens: time = time(7, 0)
    closes: time = time(17, 0)


# A lookup a feature adds (the trámites catalogue's menu, summary, SMS and feedback), by operation.
ExtraLookup = Callable[[UnitOfWork, Lookup], Awaitable[LookupResult]]
IVR_LOOKUPS = web.AppKey("ivr_lookups", dict[str, ExtraLookup])  # filled by feature installers


@dataclass(frozen=True)
class HostAnswers:
    """Answers `Lookup`, `CheckHours` and `FilePqrd` with the ticket and intake services."""

    secret: bytes
    base_url: str
    store: AttachmentStore
    hours: LineHours = field(default_factory=LineHours)
    _cache: dict[str, tuple[float, BusinessCalendar]] = field(default_factory=dict, compare=False)
    extra: Mapping[str, ExtraLookup] = field(default_factory=dict)

    async def lookup(self, uow: UnitOfWork, request: Lookup) -> LookupResult:
        if request.operation in self.extra:
            return await self.extra[request.operation](uow, request)
        if request.operation != RADICADO_STATUS:
            log.warning("ivr_unknown_lookup", extra={"operation": request.operation})
            return LookupResult(False)
        keyed = next(iter(request.args.values()), "")
        try:
            ticket = await ticket_by_radicado(uow, keyed)
        except DomainError:  # not a radicado, or none with that number: the caller tries again
            return LookupResult(False)
        spoken = {
            "estado": SPOKEN_STATUS[TicketStatus(ticket.status)],
            "fecha_vencimiento": spanish_date(ticket.due_date),
            "radicado_encontrado": ticket.radicado,
        }
        return LookupResult(True, spoken)

    async def check_hours(self, uow: UnitOfWork, request: CheckHours) -> HoursResult:
        if request.queue is not None:
            queue = await uow.session.scalar(select(Queue).where(Queue.code == request.queue))
            if queue is not None:
                return await _queue_hours(uow, queue)
            # A flow naming a queue that is gone: the line's own hours still answer the caller.
            log.warning("ivr_unknown_queue_hours", extra={"queue": request.queue})
        if request.schedule != LINE_SCHEDULE:
            log.warning("ivr_unknown_schedule", extra={"schedule": request.schedule})
        now = uow.clock.now().astimezone(BOGOTA)
        calendar = await self._calendar(uow)
        open_day = calendar.is_business_day(now.date())
        return HoursResult(open_day and self.hours.opens <= now.time() < self.hours.closes)

    async def _calendar(self, uow: UnitOfWork) -> BusinessCalendar:
        # Every call asks at least twice; building the calendar (holidays, closures, settings) costs
        # far more than the rest of a webhook. Closure days are decreed days ahead, so a calendar
        # at most CALENDAR_TTL_S old is current enough.
        cached = self._cache.get("calendar")
        if cached is not None and cached[0] > monotonic():
            return cached[1]
        calendar = (await load_clock(uow)).calendar
        self._cache["calendar"] = (monotonic() + CALENDAR_TTL_S, calendar)
        return calendar

    async def file(self, uow: UnitOfWork, call: Conversation, request: FilePqrd, step: int) -> PqrdFiled:
        """File the recorded petition once per (call, step): a replayed webhook gets the same radicado."""
        done = await uow.session.scalar(
            select(IvrFiling).where(IvrFiling.conversation_id == call.id, IvrFiling.step == step)
        )
        if done is not None:
            ticket = await uow.session.get(Ticket, done.ticket_id)
            assert ticket is not None
            return PqrdFiled(done.radicado, bogota_date(ticket.filed_at))
        intake = await file_pqrd(
            uow, _filing(call, request), secret=self.secret, store=self.store, base_url=self.base_url
        )
        filed = intake.filed
        uow.session.add(_recording(uow, call, filed.id, request))
        uow.session.add(
            IvrFiling(
                conversation_id=call.id,
                step=step,
                ticket_id=filed.id,
                radicado=filed.radicado,
                created_at=uow.clock.now(),
            )
        )
        await uow.session.flush()  # the unique (call, step) key refuses a concurrent twin here
        log.info("ivr_pqrd_filed", extra={"conversation_id": call.id, "radicado": filed.radicado})
        return PqrdFiled(filed.radicado, filed.received_on)


async def _queue_hours(uow: UnitOfWork, queue: Queue) -> HoursResult:
    """The routing queue's business hours (routing.hours); when closed, its next opening spoken."""
    found = await queue_hours.opening_now(uow, queue_hours.hours_of(queue))
    if found.open:
        return HoursResult(True)
    return HoursResult(False, spanish_opening(found.next_open, uow.clock.now()))


def _filing(call: Conversation, request: FilePqrd) -> Filing:
    pqrd_type = PqrdType(request.pqrd_type)
    phone = _valid_phone(request.caller) if not request.anonymous else None
    label = PQRD_TYPE_LABELS[pqrd_type]
    description = (
        f"Solicitud ({label.lower()}) presentada verbalmente en la Línea 195; la grabación de "
        f"{request.duration_seconds} s está adjunta. Llamada {call.external_id}."
    )
    return Filing(
        pqrd_type=pqrd_type,
        subject=request.subject or f"{label} verbal - Línea 195",
        description=description,
        channel="voice",
        citizen=CitizenDetails(phone=phone) if phone else None,
        # Without a usable number the caller's identity is only in the recording: filed without one.
        anonymous=phone is None,
        # The recording prompt reads the data-treatment notice before the caller speaks (Ley 1581).
        data_consent=phone is not None,
        verbal=True,
        conversation_id=call.id,
    )


def _valid_phone(number: str | None) -> str | None:
    if not number:
        return None
    try:
        return normalize_phone(number)
    except DomainError:
        return None


def _recording(uow: UnitOfWork, call: Conversation, ticket_id: int, request: FilePqrd) -> Attachment:
    return Attachment(
        ticket_id=ticket_id,
        conversation_id=call.id,
        filename=f"grabacion-{call.id}.wav",
        content_type="audio/wav",
        size=0,  # the provider keeps the file; see Attachment.source_url
        sha256=hashlib.sha256(request.recording_url.encode()).hexdigest(),
        created_at=uow.clock.now(),
        source_url=request.recording_url,
    )
