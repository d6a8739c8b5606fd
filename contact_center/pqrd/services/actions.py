"""The PQRD lifecycle operations (Ley 1755 de 2015): each one changes the ticket, its legal clock
and its audit trail in the caller's transaction, and queues `ticket.updated` for after the commit.

The caller loads the ticket (ideally `for_update`), calls one operation and commits. Dates the law
counts (requests, answers, extensions) are the Bogotá date of `uow.clock.now()`.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from contact_center.core.db.models import Official, Ticket
from contact_center.core.errors import Conflict, InvalidInput
from contact_center.core.uow import UnitOfWork
from contact_center.pqrd.domain.calendar import bogota_date
from contact_center.pqrd.domain.legal_clock import ClockState, LegalClock
from contact_center.pqrd.domain.tickets import TERMINAL_STATUSES, TicketStatus
from contact_center.pqrd.services import tickets as core
from contact_center.pqrd.services.tickets import Actor

_S = TicketStatus


async def _clock(uow: UnitOfWork, ticket: Ticket) -> LegalClock:
    return core.ticket_clock(await core.load_clock(uow), ticket)


def _require_open(ticket: Ticket) -> None:
    if TicketStatus(ticket.status) in TERMINAL_STATUSES:
        raise Conflict(f"El radicado {ticket.radicado} ya está cerrado.", code="ticket_closed")


def _required(text: str | None, what: str) -> str:
    if text is None or not text.strip():
        raise InvalidInput(f"Indique {what}.", code="reason_required")
    return text.strip()


async def assign(
    uow: UnitOfWork, ticket: Ticket, official_id: int, actor: Actor, *, reason: str | None = None
) -> None:
    """Give the ticket to an official; the first assignment moves it from `radicado` to `asignado`."""
    _require_open(ticket)
    official = await uow.session.get(Official, official_id)
    if official is None or not official.active:
        raise InvalidInput("El funcionario no existe o está inactivo.", code="unknown_official")
    data = {"assignee_id": official_id, "previous_assignee_id": ticket.assignee_id}
    ticket.assignee_id = official_id
    if ticket.status == _S.RADICADO:
        await core.change_status(uow, ticket, _S.ASIGNADO, actor, reason=reason, data=data)
        return
    ticket.updated_at = uow.clock.now()
    await core.append_event(uow, ticket, "assigned", actor, reason=reason, data=data)
    await core.notify_ticket(uow, ticket)


async def start_work(uow: UnitOfWork, ticket: Ticket, actor: Actor) -> None:
    """The assigned official starts working on the substance."""
    await core.change_status(uow, ticket, _S.EN_TRAMITE, actor)


async def request_completion(uow: UnitOfWork, ticket: Ticket, actor: Actor, *, reason: str) -> None:
    """Ask the citizen to complete the petition (art. 17): the clock stops until they answer.

    Refused after the 10 business days the law gives to ask (`completion_request_too_late`).
    """
    what = _required(reason, "qué información o documentos faltan")
    clock = await _clock(uow, ticket)
    facts = clock.request_completion(core.clock_facts(ticket), bogota_date(uow.clock.now()))
    core.check_status_change(ticket, _S.SUSPENDIDO)
    suspension = facts.suspensions[-1]
    core.store_facts(ticket, facts)
    data = {
        "completion_deadline": clock.completion_deadline(suspension).isoformat(),
        "lapse_date": clock.lapse_date(suspension).isoformat(),
    }
    await core.change_status(uow, ticket, _S.SUSPENDIDO, actor, reason=what, data=data)


async def extend_completion_period(uow: UnitOfWork, ticket: Ticket, actor: Actor) -> None:
    """The citizen asked, in time, for one more period to complete (art. 17)."""
    clock = await _clock(uow, ticket)
    facts = clock.extend_completion_period(core.clock_facts(ticket), bogota_date(uow.clock.now()))
    core.store_facts(ticket, facts)
    ticket.updated_at = uow.clock.now()
    deadline = clock.completion_deadline(facts.suspensions[-1])
    await core.append_event(
        uow,
        ticket,
        "completion_period_extended",
        actor,
        public=True,
        data={"completion_deadline": deadline.isoformat()},
    )
    await core.notify_ticket(uow, ticket)


async def record_completion(
    uow: UnitOfWork, ticket: Ticket, actor: Actor, *, note: str | None = None
) -> None:
    """The citizen completed the petition: the clock runs again from the next day (art. 17)."""
    clock = await _clock(uow, ticket)
    facts = clock.record_completion(core.clock_facts(ticket), bogota_date(uow.clock.now()))
    core.check_status_change(ticket, _S.EN_TRAMITE)
    due = clock.effective_due_date(facts)
    assert due is not None  # the suspension was just closed
    core.store_facts(ticket, facts)
    previous, ticket.due_date = ticket.due_date, due
    data = {"due_date": due.isoformat(), "previous_due_date": previous.isoformat()}
    await core.change_status(uow, ticket, _S.EN_TRAMITE, actor, reason=note, data=data)


async def extend(uow: UnitOfWork, ticket: Ticket, actor: Actor, *, new_due_date: date, reasons: str) -> None:
    """Prórroga (art. 14 parágrafo): before the due date, with reasons, at most twice the term."""
    clock = await _clock(uow, ticket)
    facts = core.clock_facts(ticket)
    core.check_status_change(ticket, _S.PRORROGADO)
    facts = clock.grant_extension(facts, bogota_date(uow.clock.now()), new_due_date, reasons)
    core.store_facts(ticket, facts)
    previous, ticket.due_date = ticket.due_date, new_due_date
    data = {
        "new_due_date": new_due_date.isoformat(),
        "previous_due_date": previous.isoformat(),
        "max_due_date": clock.max_extension_due_date(facts).isoformat(),
    }
    await core.change_status(uow, ticket, _S.PRORROGADO, actor, reason=reasons.strip(), data=data)


async def forward(uow: UnitOfWork, ticket: Ticket, actor: Actor, *, authority: str, reason: str) -> None:
    """Traslado por competencia (art. 21): the local clock closes; the event keeps the deadline."""
    authority = _required(authority, "la entidad competente")
    why = _required(reason, "el motivo del traslado")
    clock = await _clock(uow, ticket)
    facts = core.clock_facts(ticket)
    deadline = clock.forwarding_deadline(facts)
    today = bogota_date(uow.clock.now())
    core.check_status_change(ticket, _S.TRASLADADO)
    core.store_facts(ticket, facts, {"forwarded_to": authority})
    data = {"authority": authority, "forwarding_deadline": deadline.isoformat(), "on_time": today <= deadline}
    await core.change_status(uow, ticket, _S.TRASLADADO, actor, reason=why, data=data)


async def answer(
    uow: UnitOfWork, ticket: Ticket, actor: Actor, *, text: str, access_denied: bool = False
) -> None:
    """The public answer to the citizen; the clock stops (the event says whether it was on time).

    `access_denied`: the answer refuses access to the information asked for (reserved or
    classified, Ley 1712 de 2014 arts. 18-19); the transparency report counts these (Decreto 103
    de 2015 art. 52).
    """
    body = _required(text, "el texto de la respuesta")
    core.check_status_change(ticket, _S.RESPONDIDO)
    today = bogota_date(uow.clock.now())
    ticket.public_answer = body
    data = {
        "answer": body,
        "answered_on": today.isoformat(),
        "on_time": today <= ticket.due_date,
        "access_denied": access_denied,
    }
    await core.change_status(uow, ticket, _S.RESPONDIDO, actor, data=data)


async def close(uow: UnitOfWork, ticket: Ticket, actor: Actor, *, reason: str | None = None) -> None:
    """Answered and notified: the case is done."""
    await core.change_status(uow, ticket, _S.CERRADO, actor, reason=reason)


async def desist(
    uow: UnitOfWork,
    ticket: Ticket,
    actor: Actor,
    *,
    reason: str,
    kind: Literal["expreso", "tacito"] = "expreso",
) -> None:
    """Desistimiento: expreso (art. 18, the citizen withdraws) or tácito (art. 17, no completion).

    The tácito one is refused until the citizen's period to complete has run out.
    """
    why = _required(reason, "el motivo del desistimiento")
    core.check_status_change(ticket, _S.DESISTIDO)
    if kind == "tacito":
        clock = await _clock(uow, ticket)
        state = clock.snapshot(core.clock_facts(ticket), uow.clock.now()).state
        if state is not ClockState.COMPLETION_EXPIRED:
            raise Conflict(
                "El ciudadano aún está dentro del plazo para completar su petición.",
                code="completion_period_running",
            )
    await core.change_status(uow, ticket, _S.DESISTIDO, actor, reason=why, data={"kind": kind})


async def change_dependencia(
    uow: UnitOfWork, ticket: Ticket, actor: Actor, *, dependencia_code: str, reason: str
) -> None:
    """Internal reassignment to another dependencia: an event, not a status change."""
    _require_open(ticket)
    why = _required(reason, "el motivo de la reasignación")
    target = await core.dependencia_by_code(uow, dependencia_code)
    if target.id == ticket.dependencia_id:
        raise Conflict("El radicado ya pertenece a esa dependencia.", code="same_dependencia")
    data = {"from_dependencia_id": ticket.dependencia_id, "to_dependencia_id": target.id, "to": target.code}
    ticket.dependencia_id = target.id
    ticket.updated_at = uow.clock.now()
    await core.append_event(uow, ticket, "dependencia_changed", actor, reason=why, data=data)
    await core.notify_ticket(uow, ticket)
