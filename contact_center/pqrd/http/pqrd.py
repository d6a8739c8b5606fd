"""The citizen PQRD API: file a PQRD (JSON or multipart with files), follow it, download its files.

`POST /api/v1/pqrd` takes the JSON of the public contract (docs/http-api.md), or `multipart/form-data`
with the same fields flattened (`type`, `subject`, ..., `citizen.name`, `citizen.email`, ...,
`priority_flags` repeated) plus up to five `files` parts. Following a PQRD needs its access code; a
wrong code and an unknown radicado get the same 404, and repeated wrong codes are rate-limited per
client and per radicado.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from contact_center.citizens.services.identities import CitizenDetails
from contact_center.core.db.models import Attachment, Dependencia, Ticket, TicketEvent
from contact_center.core.errors import DomainError, NotFound
from contact_center.core.http import attempts, idempotency
from contact_center.core.http.api import ApiRoutes
from contact_center.core.http.keys import SETTINGS, UOW
from contact_center.core.http.principals import request_token, require_principal
from contact_center.core.officials import Role
from contact_center.core.uow import UnitOfWork
from contact_center.pqrd import access
from contact_center.pqrd.domain.legal_clock import PqrdType, PriorityFlag, parse_pqrd_type
from contact_center.pqrd.domain.tickets import STATUS_LABELS, TicketStatus
from contact_center.pqrd.http.filing import file_once
from contact_center.pqrd.http.support import attachment_store, read_multipart
from contact_center.pqrd.services import intake
from contact_center.pqrd.services.attachments import AttachmentStore, check_uploads
from contact_center.pqrd.services.tickets import access_code_matches, ticket_by_radicado

routes = ApiRoutes()
_NOT_FOUND = "No encontramos un radicado con ese número y código de acceso."


class CitizenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    document_type: str | None = Field(default=None, max_length=5, examples=["CC"])
    document_number: str | None = Field(default=None, max_length=30)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=30, examples=["+573001234567"])


class PqrdIn(BaseModel):
    """A PQRD as the citizen files it (DESIGN.md §7)."""  # kept: it is the OpenAPI description

    model_config = ConfigDict(extra="forbid")
    type: str = Field(default="peticion", json_schema_extra={"enum": [t.value for t in PqrdType]})
    subject: str = Field(min_length=1, max_length=intake.MAX_SUBJECT)
    description: str = Field(min_length=1, max_length=intake.MAX_DESCRIPTION)
    dependencia: str | None = Field(default=None, max_length=40)
    citizen: CitizenIn | None = None
    anonymous: bool = False
    data_consent: bool = False
    notify_by_email: bool = False
    priority_flags: list[PriorityFlag] = Field(default_factory=list, max_length=len(PriorityFlag))


class PqrdFiled(BaseModel):
    radicado: str
    access_code: str
    filed_at: datetime
    due_date: date
    status: str


class HistoryEntry(BaseModel):
    at: datetime
    kind: str
    from_status: str | None
    to_status: str | None
    reason: str | None


class AttachmentOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int


class PqrdStatus(BaseModel):
    radicado: str
    type: str
    subject: str
    status: str
    status_label: str
    filed_at: datetime
    received_on: date
    due_date: date
    dependencia: str
    public_answer: str | None
    history: list[HistoryEntry]
    attachments: list[AttachmentOut]


class AccessQuery(BaseModel):
    access_code: str = Field(min_length=1, max_length=64)


class DownloadQuery(BaseModel):
    access_code: str | None = Field(default=None, max_length=64)


def _filing(body: PqrdIn, uploads: list[Any]) -> intake.Filing:
    c = body.citizen
    citizen = (
        CitizenDetails(c.name, c.document_type, c.document_number, c.email, False, c.phone, False)
        if c is not None
        else None
    )
    return intake.Filing(
        pqrd_type=parse_pqrd_type(body.type),
        subject=body.subject,
        description=body.description,
        channel="web",
        citizen=citizen,
        anonymous=body.anonymous,
        data_consent=body.data_consent,
        notify_by_email=body.notify_by_email,
        dependencia_code=body.dependencia,
        priority_flags=frozenset(body.priority_flags),
        attachments=check_uploads(uploads),
    )


@routes.post(
    "/api/v1/pqrd",
    body=PqrdIn,
    multipart=True,
    responses={201: PqrdFiled, 413: None, 415: None, 422: None, 429: None},
    tags=["pqrd"],
    summary="File a PQRD (JSON, or multipart with the same fields plus up to 5 files)",
)
@idempotency.in_transaction
async def file_pqrd(request: web.Request, body: PqrdIn | None = None) -> web.Response:
    uploads: list[Any] = []
    if body is None:
        body, uploads = await read_multipart(request, PqrdIn)
    filing = _filing(body, uploads)
    checked = intake.check_filing(filing)  # bad input is refused before any key is claimed
    meaning = [body.model_dump(mode="json"), [(i.filename, i.sha256) for _, i in filing.attachments]]
    return await file_once(
        request,
        checked,
        meaning,
        lambda f: PqrdFiled(
            radicado=f.radicado,
            access_code=f.access_code,
            filed_at=f.filed_at,
            due_date=f.due_date,
            status=f.status.value,
        ),
    )


async def _open_with_code(request: web.Request, uow: UnitOfWork, radicado: str, code: str) -> Ticket:
    """The ticket if the code opens it; the same 404 otherwise, counted by `attempts.guarded`
    against the case and the client address. The code is checked in a unit of work of its own,
    before `uow` holds a connection: the counters may need one (SQLite has a single one)."""

    async def attempt() -> None:
        async with request.app[UOW]() as own:
            try:
                ticket = await ticket_by_radicado(own, radicado)
            except DomainError:
                ticket = None
            if ticket is None or not access_code_matches(ticket, code, request.app[SETTINGS].signing_key()):
                raise NotFound(_NOT_FOUND)

    policy = attempts.code_policy(request.app[SETTINGS])
    await attempts.guarded(request, "code", radicado[:30], attempt, NotFound, policy)
    return await ticket_by_radicado(uow, radicado)


@routes.get(
    r"/api/v1/pqrd/{radicado:\d+}",
    query=AccessQuery,
    responses={200: PqrdStatus, 404: None, 429: None},
    tags=["pqrd"],
    summary="Status, due date and public history of a PQRD (needs its access code)",
)
async def pqrd_status(request: web.Request, query: AccessQuery) -> web.Response:
    async with request.app[UOW]() as uow:
        ticket = await _open_with_code(request, uow, request.match_info["radicado"], query.access_code)
        out = await _status(uow, ticket)
    return web.json_response(out.model_dump(mode="json"))


async def _status(uow: UnitOfWork, ticket: Ticket) -> PqrdStatus:
    events = await uow.session.scalars(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.public.is_(True))
        .order_by(TicketEvent.seq)
    )
    files = await uow.session.scalars(
        select(Attachment).where(Attachment.ticket_id == ticket.id).order_by(Attachment.id)
    )
    dependencia = await uow.session.get(Dependencia, ticket.dependencia_id)
    return PqrdStatus(
        radicado=ticket.radicado,
        type=ticket.pqrd_type,
        subject=ticket.subject,
        status=ticket.status,
        status_label=STATUS_LABELS[TicketStatus(ticket.status)],
        filed_at=ticket.filed_at,
        received_on=ticket.received_on,
        due_date=ticket.due_date,
        dependencia=dependencia.name if dependencia else "",
        public_answer=ticket.public_answer,
        history=[
            HistoryEntry(
                at=e.at, kind=e.kind, from_status=e.from_status, to_status=e.to_status, reason=e.reason
            )
            for e in events
        ],
        attachments=[
            AttachmentOut(id=a.id, filename=a.filename, content_type=a.content_type, size=a.size)
            for a in files
        ],
    )


@routes.get(
    "/api/v1/pqrd/{radicado}/attachments/{attachment_id}",
    query=DownloadQuery,
    responses={200: "application/octet-stream", 401: None, 404: None, 429: None},
    tags=["pqrd"],
    summary="Download a file of a PQRD (its access code, or an official's token)",
)
async def download_attachment(request: web.Request, query: DownloadQuery) -> web.StreamResponse:
    radicado, raw_id = request.match_info["radicado"], request.match_info["attachment_id"]
    async with request.app[UOW]() as uow:
        if request_token(request)[0]:
            official = await require_principal(request, Role.AGENT)
            ticket = await access.ticket(uow, official, radicado=radicado)
        else:
            ticket = await _open_with_code(request, uow, radicado, query.access_code or "")
        found = await access.attachment(uow, ticket, raw_id)
        sha256, content_type, filename = found.sha256, found.content_type, found.filename
    data = await attachment_store(request.app).read(sha256)
    return web.Response(
        body=data,
        content_type=content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{_quote(filename)}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "Cache-Control": "private, no-store",
        },
    )


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


__all__ = ["AttachmentStore", "routes"]
