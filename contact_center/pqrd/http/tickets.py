"""Officials' ticket API: list and read PQRDs in their scope, and move them through the lifecycle.

Scope: an administrator sees every ticket; agents and supervisors the tickets of their dependencia
and those assigned to them. A ticket out of scope answers 404, as if it did not exist. Each action
runs in one transaction (ticket row locked), commits, and answers with the ticket as it now stands.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field
from sqlalchemy import Select, func, select

from contact_center.core.auth import Principal
from contact_center.core.db.models import Dependencia, Ticket, TicketEvent
from contact_center.core.errors import Forbidden
from contact_center.core.http.api import MAX_ROW_ID, ApiRoutes, RowId
from contact_center.core.http.keys import UOW
from contact_center.core.officials import Role, role_allows
from contact_center.core.uow import UnitOfWork
from contact_center.pqrd import access
from contact_center.pqrd.domain.legal_clock import ClockState, PqrdType
from contact_center.pqrd.domain.tickets import CLOCK_RUNNING_STATUSES, STATUS_LABELS, TicketStatus
from contact_center.pqrd.services import actions
from contact_center.pqrd.services import tickets as service
from contact_center.pqrd.services.tickets import Actor

routes = ApiRoutes()
TAGS = ["tickets"]
BASE = "/api/v1/tickets/{radicado}"


class TicketListQuery(BaseModel):
    status: TicketStatus | None = None
    dependencia: str | None = Field(default=None, max_length=40, description="dependencia code")
    assignee_id: RowId | None = None
    due_before: date | None = Field(default=None, description="due date strictly before this day")
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=MAX_ROW_ID)


class TicketSummary(BaseModel):
    id: int
    radicado: str
    type: PqrdType
    subject: str
    channel: str
    status: TicketStatus
    status_label: str
    dependencia_id: int
    assignee_id: int | None
    priority_flags: list[str]
    anonymous: bool
    filed_at: datetime
    due_date: date


class TicketPage(BaseModel):
    tickets: list[TicketSummary]
    total: int


class TicketEventOut(BaseModel):
    seq: int
    at: datetime
    kind: str
    actor_kind: str
    actor_id: int | None
    from_status: str | None
    to_status: str | None
    reason: str | None
    public: bool
    data: dict[str, Any]


class TicketClockOut(BaseModel):
    state: ClockState
    received_on: date
    term_days: int
    original_due_date: date
    due_date: date | None
    days_elapsed: int
    days_left: int
    extended: bool


class TicketDetail(TicketSummary):
    description: str
    citizen_id: int | None
    received_on: date
    term_days: int
    original_due_date: date
    public_answer: str | None
    clock: TicketClockOut | None
    facts: dict[str, Any]
    events: list[TicketEventOut]


class TicketAssignIn(BaseModel):
    official_id: int | None = Field(default=None, description="omit to take the ticket yourself")
    reason: str | None = Field(default=None, max_length=2000)


class TicketReasonIn(BaseModel):
    reason: str = Field(min_length=1, max_length=4000)


class TicketNoteIn(BaseModel):
    reason: str | None = Field(default=None, max_length=4000)


class TicketExtendIn(BaseModel):
    new_due_date: date
    reasons: str = Field(min_length=1, max_length=4000)


class TicketForwardIn(BaseModel):
    authority: str = Field(min_length=1, max_length=300, description="the competent authority")
    reason: str = Field(min_length=1, max_length=4000)


class TicketAnswerIn(BaseModel):
    answer: str = Field(min_length=1, max_length=20000, description="public answer to the citizen")


class TicketDesistIn(BaseModel):
    reason: str = Field(min_length=1, max_length=4000)
    kind: Literal["expreso", "tacito"] = "expreso"


class TicketDependenciaIn(BaseModel):
    dependencia: str = Field(min_length=1, max_length=40, description="dependencia code")
    reason: str = Field(min_length=1, max_length=4000)


# -- scope and output -------------------------------------------------------------------------------


async def _visible(uow: UnitOfWork, radicado: str, principal: Principal, *, lock: bool = False) -> Ticket:
    return await access.ticket(uow, principal, radicado=radicado, lock=lock)


def _summary_fields(ticket: Ticket) -> dict[str, Any]:
    status = TicketStatus(ticket.status)
    return {
        "id": ticket.id,
        "radicado": ticket.radicado,
        "type": ticket.pqrd_type,
        "subject": ticket.subject,
        "channel": ticket.channel,
        "status": status,
        "status_label": STATUS_LABELS[status],
        "dependencia_id": ticket.dependencia_id,
        "assignee_id": ticket.assignee_id,
        "priority_flags": list(ticket.priority_flags or []),
        "anonymous": ticket.anonymous,
        "filed_at": ticket.filed_at,
        "due_date": ticket.due_date,
    }


def _event(e: TicketEvent, ticket: Ticket, principal: Principal) -> TicketEventOut:
    return TicketEventOut(
        seq=e.seq,
        at=e.at,
        kind=e.kind,
        actor_kind=e.actor_kind,
        actor_id=access.redacted_actor(e.actor_kind, e.actor_id, ticket, principal),
        from_status=e.from_status,
        to_status=e.to_status,
        reason=e.reason,
        public=e.public,
        data=e.data,
    )


async def _clock_out(uow: UnitOfWork, ticket: Ticket) -> TicketClockOut | None:
    status = TicketStatus(ticket.status)
    if status not in CLOCK_RUNNING_STATUSES and status is not TicketStatus.SUSPENDIDO:
        return None  # answered, closed, forwarded or withdrawn: the legal clock no longer runs
    clock = service.ticket_clock(await service.load_clock(uow), ticket)
    snap = clock.snapshot(service.clock_facts(ticket), uow.clock.now())
    return TicketClockOut(
        state=snap.state,
        received_on=snap.received_on,
        term_days=snap.term_days,
        original_due_date=snap.original_due_date,
        due_date=snap.due_date,
        days_elapsed=snap.days_elapsed,
        days_left=snap.days_left,
        extended=snap.extended,
    )


async def _detail(uow: UnitOfWork, ticket: Ticket, principal: Principal) -> TicketDetail:
    # A reserved identity (anonymous filing) is shown only to supervisors and administrators.
    reserved = access.reserved(ticket, principal)
    return TicketDetail(
        **_summary_fields(ticket),
        description=ticket.description,
        citizen_id=None if reserved else ticket.citizen_id,
        received_on=ticket.received_on,
        term_days=ticket.term_days,
        original_due_date=ticket.original_due_date,
        public_answer=ticket.public_answer,
        clock=await _clock_out(uow, ticket),
        facts=dict(ticket.clock or {}),
        events=[_event(e, ticket, principal) for e in await service.ticket_events(uow, ticket.id)],
    )


def _json(model: BaseModel) -> web.Response:
    return web.json_response(model.model_dump(mode="json"))


# -- reading ----------------------------------------------------------------------------------------


async def _filtered(uow: UnitOfWork, f: TicketListQuery, principal: Principal) -> Select[Any]:
    query = select(Ticket).where(await access.ticket_filter(uow, principal))
    if f.status is not None:
        query = query.where(Ticket.status == f.status.value)
    if f.dependencia is not None:
        dependencia_id = await uow.session.scalar(
            select(Dependencia.id).where(Dependencia.code == f.dependencia)
        )
        query = query.where(Ticket.dependencia_id == (dependencia_id or -1))
    if f.assignee_id is not None:
        query = query.where(Ticket.assignee_id == f.assignee_id)
    if f.due_before is not None:
        query = query.where(Ticket.due_date < f.due_before)
    return query


@routes.get(
    "/api/v1/tickets",
    query=TicketListQuery,
    responses={200: TicketPage},
    role=Role.AGENT,
    tags=TAGS,
    summary="PQRDs in the official's scope, soonest due first, filtered by status, dependencia, due date",
)
async def list_tickets(request: web.Request, principal: Principal, query: TicketListQuery) -> web.Response:
    async with request.app[UOW]() as uow:
        filtered = await _filtered(uow, query, principal)
        total = await uow.session.scalar(select(func.count()).select_from(filtered.subquery()))
        page = filtered.order_by(Ticket.due_date, Ticket.id).limit(query.limit).offset(query.offset)
        rows = (await uow.session.scalars(page)).all()
        tickets = [TicketSummary(**_summary_fields(t)) for t in rows]
    return _json(TicketPage(tickets=tickets, total=total or 0))


@routes.get(
    BASE,
    responses={200: TicketDetail, 404: None},
    role=Role.AGENT,
    tags=TAGS,
    summary="One PQRD with its legal clock and its whole audit trail",
)
async def get_ticket(request: web.Request, principal: Principal) -> web.Response:
    async with request.app[UOW]() as uow:
        ticket = await _visible(uow, request.match_info["radicado"], principal)
        return _json(await _detail(uow, ticket, principal))


# -- lifecycle actions ------------------------------------------------------------------------------

Action = Callable[[UnitOfWork, Ticket, Actor], Awaitable[None]]
_ACTION_RESPONSES: dict[int, type[BaseModel] | str | None] = {200: TicketDetail, 404: None, 409: None}


async def _act(request: web.Request, principal: Principal, action: Action) -> web.Response:
    async with request.app[UOW]() as uow:
        ticket = await _visible(uow, request.match_info["radicado"], principal, lock=True)
        await action(uow, ticket, Actor("official", principal.official_id))
        await uow.commit()
        return _json(await _detail(uow, ticket, principal))


def _action_route(path: str, body: type[BaseModel] | None, summary: str) -> Callable[..., Any]:
    return routes.post(
        f"{BASE}/{path}", body=body, responses=_ACTION_RESPONSES, role=Role.AGENT, tags=TAGS, summary=summary
    )


@_action_route("assign", TicketAssignIn, "Assign to an official (agents may only take it themselves)")
async def assign(request: web.Request, principal: Principal, body: TicketAssignIn) -> web.Response:
    target = body.official_id or principal.official_id
    if target != principal.official_id and not role_allows(principal.role, Role.SUPERVISOR):
        raise Forbidden("Un agente solo puede asignarse radicados a sí mismo.", code="assign_self_only")
    return await _act(request, principal, lambda u, t, a: actions.assign(u, t, target, a, reason=body.reason))


@_action_route("start", None, "Start working on the substance (asignado → en trámite)")
async def start(request: web.Request, principal: Principal) -> web.Response:
    return await _act(request, principal, actions.start_work)


@_action_route(
    "request-completion", TicketReasonIn, "Ask the citizen to complete it (art. 17); the clock stops"
)
async def request_completion(
    request: web.Request, principal: Principal, body: TicketReasonIn
) -> web.Response:
    return await _act(
        request, principal, lambda u, t, a: actions.request_completion(u, t, a, reason=body.reason)
    )


@_action_route("completion-extension", None, "The citizen asked for one more period to complete (art. 17)")
async def completion_extension(request: web.Request, principal: Principal) -> web.Response:
    return await _act(request, principal, actions.extend_completion_period)


@_action_route("record-completion", TicketNoteIn, "The citizen completed it; the clock runs again")
async def record_completion(request: web.Request, principal: Principal, body: TicketNoteIn) -> web.Response:
    return await _act(
        request, principal, lambda u, t, a: actions.record_completion(u, t, a, note=body.reason)
    )


@_action_route(
    "extend", TicketExtendIn, "Prórroga (art. 14 parágrafo): before the due date, at most twice the term"
)
async def extend(request: web.Request, principal: Principal, body: TicketExtendIn) -> web.Response:
    return await _act(
        request,
        principal,
        lambda u, t, a: actions.extend(u, t, a, new_due_date=body.new_due_date, reasons=body.reasons),
    )


@_action_route("forward", TicketForwardIn, "Traslado por competencia (art. 21) to another authority")
async def forward(request: web.Request, principal: Principal, body: TicketForwardIn) -> web.Response:
    return await _act(
        request,
        principal,
        lambda u, t, a: actions.forward(u, t, a, authority=body.authority, reason=body.reason),
    )


@_action_route("answer", TicketAnswerIn, "Answer the citizen (public answer text)")
async def answer(request: web.Request, principal: Principal, body: TicketAnswerIn) -> web.Response:
    return await _act(request, principal, lambda u, t, a: actions.answer(u, t, a, text=body.answer))


@_action_route("close", TicketNoteIn, "Close an answered PQRD once the answer was notified")
async def close(request: web.Request, principal: Principal, body: TicketNoteIn) -> web.Response:
    return await _act(request, principal, lambda u, t, a: actions.close(u, t, a, reason=body.reason))


@_action_route("desist", TicketDesistIn, "Desistimiento: expreso (art. 18) or tácito (art. 17)")
async def desist(request: web.Request, principal: Principal, body: TicketDesistIn) -> web.Response:
    return await _act(
        request, principal, lambda u, t, a: actions.desist(u, t, a, reason=body.reason, kind=body.kind)
    )


@_action_route("dependencia", TicketDependenciaIn, "Reassign to another dependencia (internal; an event)")
async def change_dependencia(
    request: web.Request, principal: Principal, body: TicketDependenciaIn
) -> web.Response:
    return await _act(
        request,
        principal,
        lambda u, t, a: actions.change_dependencia(
            u, t, a, dependencia_code=body.dependencia, reason=body.reason
        ),
    )
