"""The API of the "Pasto Gobierno en Línea" mobile app: a citizen's account and their own cases.

Every route but sign-up, verification and log-in takes the app token as `Authorization: Bearer …`
(a citizen token; officials' tokens open nothing here). Lists carry an `ETag`: the app polls with
`If-None-Match` and gets `304` while nothing changed.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from channels.app.schemas import (
    AppAccountOut,
    AppAttachIn,
    AppCase,
    AppCases,
    AppLoginIn,
    AppLoginOut,
    AppPqrdFiled,
    AppPqrdIn,
    AppRegisterIn,
    AppRegisterOut,
    AppReplyIn,
    AppStatusOut,
    AppVerifyIn,
    case_out,
    cases_out,
)
from contact_center.citizens.services import accounts
from contact_center.citizens.services.accounts import CitizenPrincipal, Registration
from contact_center.citizens.services.identities import CitizenDetails
from contact_center.core.errors import DomainError, InvalidInput, NotFound, Unauthorized
from contact_center.core.http import idempotency, login_limits, throttle
from contact_center.core.http.api import MAX_ROW_ID, ApiRoutes, Handler
from contact_center.core.http.keys import JOBS, SETTINGS, UOW
from contact_center.core.http.multipart import read_form
from contact_center.pqrd.domain.legal_clock import parse_pqrd_type
from contact_center.pqrd.http.filing import file_once
from contact_center.pqrd.http.support import attachment_store, read_multipart
from contact_center.pqrd.services import attachments, intake
from contact_center.pqrd.services import citizen_cases as cases
from contact_center.pqrd.services.tickets import Actor, append_event, notify_ticket

log = logging.getLogger(__name__)
routes = ApiRoutes()
TAGS = ["app"]
_CITIZEN = web.RequestKey("citizen", CitizenPrincipal)
CASE = r"/api/v1/app/cases/{ticket_id:\d+}"


def citizen_only(handler: Handler) -> Handler:
    """Authenticate the app token first; the handler gets `citizen=` as a keyword argument."""

    async def wrapper(request: web.Request, **kwargs: Any) -> web.StreamResponse:
        return await handler(request, citizen=await require_citizen(request), **kwargs)

    wrapper.__name__ = handler.__name__
    wrapper.__doc__ = handler.__doc__
    return wrapper


async def require_citizen(request: web.Request) -> CitizenPrincipal:
    """The citizen behind `Authorization: Bearer <app token>`, or 401 with a code saying why."""
    if _CITIZEN in request:
        return request[_CITIZEN]
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer ") or not header[7:].strip():
        raise Unauthorized("Inicie sesión en la aplicación.", code="missing_token")
    async with request.app[UOW]() as uow:
        principal = await accounts.authenticate(uow, header[7:].strip())
    request[_CITIZEN] = principal
    return principal


def _ticket_id(request: web.Request) -> int:
    ticket_id = int(request.match_info["ticket_id"])
    if ticket_id > MAX_ROW_ID:  # no such row; the database would refuse the number itself
        raise NotFound("No encontramos ese caso.")
    return ticket_id


class MultipartRequired(DomainError):
    code = "multipart_required"
    status = 415


def _require_multipart(request: web.Request) -> None:
    if not request.content_type.startswith("multipart/"):
        raise MultipartRequired("Envíe los archivos como multipart/form-data en el campo «files».")


# -- account ----------------------------------------------------------------------------------------


@routes.post(
    "/api/v1/app/register",
    body=AppRegisterIn,
    responses={201: AppRegisterOut, 409: None, 429: None},
    tags=TAGS,
    summary="Create a citizen account; a verification code goes to the email",
)
async def register(request: web.Request, body: AppRegisterIn) -> web.Response:
    if not body.data_consent:
        raise InvalidInput(
            "Debe aceptar el aviso de privacidad para crear la cuenta.", code="data_consent_required"
        )
    data = Registration(
        body.email, body.password, body.name, body.document_type, body.document_number, body.phone
    )

    async def create() -> web.Response:
        async with request.app[UOW]() as uow:
            registered = await accounts.register(uow, data)
            base_url = request.app[SETTINGS].base_url
            outbound_id = await accounts.queue_verification_mail(uow, registered, base_url)
            await uow.commit()
        await request.app[JOBS].enqueue(
            accounts.VERIFICATION_MAIL_JOB, outbound_id, job_id=f"verify-mail:{outbound_id}"
        )
        status = "verification_sent"
        out = AppRegisterOut(account_id=registered.account_id, email=registered.email, status=status)
        return web.json_response(out.model_dump(), status=201)

    return await throttle.registration(request, create)


@routes.post(
    "/api/v1/app/verify-email",
    body=AppVerifyIn,
    responses={200: AppStatusOut},
    tags=TAGS,
    summary="Confirm the email with the code sent at sign-up",
)
async def verify_email(request: web.Request, body: AppVerifyIn) -> web.Response:
    async with request.app[UOW]() as uow:
        await accounts.verify_email(uow, body.token)
        await uow.commit()
    return web.json_response(AppStatusOut(status="verified").model_dump())


@routes.post(
    "/api/v1/app/login",
    body=AppLoginIn,
    responses={200: AppLoginOut, 401: None, 403: None, 429: None},
    tags=TAGS,
    summary="Log a citizen in; an unverified account gets 403 email_not_verified; "
    "limited per e-mail and client address (429 rate_limited with Retry-After); Idempotency-Key is ignored",
)
@idempotency.not_stored
async def login(request: web.Request, body: AppLoginIn) -> web.Response:
    async def attempt() -> accounts.CitizenSession:
        async with request.app[UOW]() as uow:
            return await accounts.login(uow, body.email, body.password, accounts.DEFAULT_TOKEN_TTL)

    session = await login_limits.throttled(request, "citizen", body.email, attempt)
    p = session.principal
    out = AppLoginOut(token=session.token, account=AppAccountOut(id=p.account_id, name=p.name, email=p.email))
    return web.json_response(out.model_dump())


@routes.post(
    "/api/v1/app/logout",
    responses={200: AppStatusOut, 401: None},
    tags=TAGS,
    summary="Revoke the presented app token",
)
@citizen_only
async def logout(request: web.Request, citizen: CitizenPrincipal) -> web.Response:
    async with request.app[UOW]() as uow:
        await accounts.revoke(uow, request.headers["Authorization"][7:].strip())
    return web.json_response(AppStatusOut(status="logged_out").model_dump())


# -- cases ------------------------------------------------------------------------------------------


def _conditional(request: web.Request, etag: str, body: BaseModel) -> web.Response:
    """304 when the app already holds this version, else the body with its ETag."""
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    wanted = {t.strip() for t in request.headers.get("If-None-Match", "").split(",")}
    if etag in wanted or "*" in wanted:
        return web.Response(status=304, headers=headers)
    return web.json_response(body.model_dump(mode="json"), headers=headers)


@routes.get(
    "/api/v1/app/cases",
    responses={200: AppCases, 304: None, 401: None},
    tags=TAGS,
    summary="The citizen's PQRDs and conversations on every channel; poll with If-None-Match",
)
@citizen_only
async def my_cases(request: web.Request, citizen: CitizenPrincipal) -> web.Response:
    async with request.app[UOW]() as uow:
        found = await cases.list_cases(uow, citizen)
    return _conditional(request, found.etag, cases_out(found))


@routes.get(
    CASE,
    responses={200: AppCase, 304: None, 401: None, 404: None},
    tags=TAGS,
    summary="One of the citizen's PQRDs with its public history",
)
@citizen_only
async def my_case(request: web.Request, citizen: CitizenPrincipal) -> web.Response:
    async with request.app[UOW]() as uow:
        detail = await cases.case_detail(uow, citizen, _ticket_id(request))
    return _conditional(request, cases.detail_etag(detail), case_out(detail))


@routes.post(
    CASE + "/reply",
    body=AppReplyIn,
    responses={200: AppCase, 401: None, 404: None, 409: None},
    tags=TAGS,
    summary="Answer a request for more information; the legal clock runs again (art. 17)",
)
@citizen_only
async def reply(request: web.Request, citizen: CitizenPrincipal, body: AppReplyIn) -> web.Response:
    async with request.app[UOW]() as uow:
        ticket = await cases.reply_to_request(uow, citizen, _ticket_id(request), body.text)
        await uow.commit()
        detail = await cases.describe(uow, ticket)
    return web.json_response(case_out(detail).model_dump(mode="json"))


@routes.post(
    CASE + "/attachments",
    body=AppAttachIn,
    multipart=True,
    responses={201: AppCase, 401: None, 404: None, 409: None, 413: None, 415: None},
    tags=TAGS,
    summary="Add files to one of the citizen's open PQRDs (multipart only, field `files`)",
    json_body=False,
)
@citizen_only
async def attach(
    request: web.Request, citizen: CitizenPrincipal, body: AppAttachIn | None = None
) -> web.Response:
    _require_multipart(request)
    form = await read_form(request)
    if not form.files:
        raise InvalidInput("Adjunte al menos un archivo en el campo «files».", code="no_files")
    checked = attachments.check_uploads(form.files)
    store = attachment_store(request.app)
    async with request.app[UOW]() as uow:
        ticket = await cases.own_open_ticket(uow, citizen, _ticket_id(request))
        rows = await attachments.store_attachments(uow, store, ticket.id, checked)
        ticket.updated_at = uow.clock.now()
        names = [r.filename for r in rows]
        actor = Actor("citizen", citizen.citizen_id)
        await append_event(uow, ticket, "attachments_added", actor, public=True, data={"files": names})
        await notify_ticket(uow, ticket)
        await uow.commit()
        detail = await cases.describe(uow, ticket)
    return web.json_response(case_out(detail).model_dump(mode="json"), status=201)


# -- filing -----------------------------------------------------------------------------------------


def _app_filing(body: AppPqrdIn, uploads: list[Any], citizen: CitizenPrincipal) -> intake.Filing:
    """The account's citizen files: no matching, no anonymity (that is `POST /api/v1/pqrd`)."""
    return intake.Filing(
        pqrd_type=parse_pqrd_type(body.type),
        subject=body.subject,
        description=body.description,
        channel="app",
        citizen=CitizenDetails(name=citizen.name, email=citizen.email, email_verified=True),
        known_citizen_id=citizen.citizen_id,
        data_consent=True,  # accepted at sign-up and recorded when the e-mail was verified
        notify_by_email=body.notify_by_email,
        dependencia_code=body.dependencia,
        priority_flags=frozenset(body.priority_flags),
        attachments=attachments.check_uploads(uploads),
    )


@routes.post(
    "/api/v1/app/pqrd",
    body=AppPqrdIn,
    multipart=True,
    responses={201: AppPqrdFiled, 401: None, 413: None, 415: None, 422: None, 429: None},
    tags=TAGS,
    summary="File a PQRD as the signed-in citizen (JSON, or multipart with up to 5 files)",
)
@idempotency.in_transaction
@citizen_only
async def file_pqrd(
    request: web.Request, citizen: CitizenPrincipal, body: AppPqrdIn | None = None
) -> web.Response:
    uploads: list[Any] = []
    if body is None:
        body, uploads = await read_multipart(request, AppPqrdIn)
    filing = _app_filing(body, uploads, citizen)
    checked = intake.check_filing(filing)  # bad input is refused before any key is claimed
    meaning = [body.model_dump(mode="json"), [(f.filename, f.sha256) for _, f in filing.attachments]]
    return await file_once(
        request,
        checked,
        meaning,
        lambda f: AppPqrdFiled(
            case_id=f.id,
            radicado=f.radicado,
            access_code=f.access_code,
            filed_at=f.filed_at,
            due_date=f.due_date,
            status=f.status.value,
        ),
    )
