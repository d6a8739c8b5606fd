"""Administrators' routes for the business calendar and the legal clock: closure days, terms by
PQRD type and the settings where the law is read in more than one way. Supervisors may read them."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from contact_center.core.auth import Principal
from contact_center.core.errors import InvalidInput
from contact_center.core.http.api import ApiRoutes
from contact_center.core.http.keys import UOW
from contact_center.core.officials import Role
from contact_center.pqrd.domain.legal_clock import ExtensionMode, PqrdType, ResumeMode
from contact_center.pqrd.services import calendar_admin as service

routes = ApiRoutes()
TAGS = ["legal-clock"]


class ClosureIn(BaseModel):
    day: date
    reason: str = Field(min_length=1, max_length=300, description="Why, e.g. the municipal decree")


class ClosureOut(BaseModel):
    day: date
    reason: str


class ClosureList(BaseModel):
    closures: list[ClosureOut]


class ClosureYearQuery(BaseModel):
    year: int | None = Field(default=None, ge=2000, le=2100)


class TermIn(BaseModel):
    term_days: int = Field(ge=1, le=service.MAX_TERM_DAYS, strict=True)


class TermOut(BaseModel):
    type: PqrdType
    term_days: int
    default_days: int
    overridden: bool
    source: str


class TermList(BaseModel):
    terms: list[TermOut]


class ClockSettingsBody(BaseModel):
    """The legal clock's settings; every field is optional in an update, unknown ones are refused."""

    model_config = ConfigDict(extra="forbid")

    extension_mode: ExtensionMode | None = None
    resume_mode: ResumeMode | None = None
    cutoff_hour: int | None = Field(default=None, ge=1, le=23)
    non_business_filing_counts_next_business_day: bool | None = None
    completion_request_days: int | None = Field(default=None, ge=0, le=60)
    completion_period_months: int | None = Field(default=None, ge=0, le=12)
    completion_extension_months: int | None = Field(default=None, ge=0, le=12)
    forwarding_days: int | None = Field(default=None, ge=0, le=60)
    verbal_forwarding_days: int | None = Field(default=None, ge=0, le=60)
    deemed_granted_copies_days: int | None = Field(default=None, ge=0, le=60)


def _term(term: service.Term) -> TermOut:
    return TermOut(
        type=term.pqrd_type,
        term_days=term.term_days,
        default_days=term.default_days,
        overridden=term.overridden,
        source=term.source,
    )


def _json(model: BaseModel, status: int = 200) -> web.Response:
    return web.json_response(model.model_dump(mode="json"), status=status)


def _day(request: web.Request) -> date:
    text = request.match_info["day"]
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"«{text}» no es una fecha AAAA-MM-DD.", code="invalid_date") from None


@routes.get(
    "/api/v1/admin/closures",
    query=ClosureYearQuery,
    responses={200: ClosureList},
    role=Role.SUPERVISOR,
    tags=TAGS,
    summary="Local closure days (non-business days decreed by the city)",
)
async def list_closures(request: web.Request, principal: Principal, query: ClosureYearQuery) -> web.Response:
    async with request.app[UOW]() as uow:
        closures = await service.list_closures(uow, query.year)
    return _json(ClosureList(closures=[ClosureOut(day=c.day, reason=c.reason) for c in closures]))


@routes.post(
    "/api/v1/admin/closures",
    body=ClosureIn,
    responses={201: ClosureOut, 409: None},
    role=Role.ADMIN,
    tags=TAGS,
    summary="Record a local closure day; it stops counting as a business day",
)
async def add_closure(request: web.Request, principal: Principal, body: ClosureIn) -> web.Response:
    async with request.app[UOW]() as uow:
        closure = await service.add_closure(uow, body.day, body.reason, principal.official_id)
    return _json(ClosureOut(day=closure.day, reason=closure.reason), 201)


@routes.delete(
    "/api/v1/admin/closures/{day}",
    responses={200: ClosureList, 404: None},
    role=Role.ADMIN,
    tags=TAGS,
    summary="Remove a local closure day",
)
async def remove_closure(request: web.Request, principal: Principal) -> web.Response:
    day = _day(request)
    async with request.app[UOW]() as uow:
        await service.remove_closure(uow, day)
        closures = await service.list_closures(uow, day.year)
    return _json(ClosureList(closures=[ClosureOut(day=c.day, reason=c.reason) for c in closures]))


@routes.get(
    "/api/v1/admin/pqrd-terms",
    responses={200: TermList},
    role=Role.SUPERVISOR,
    tags=TAGS,
    summary="Legal term of each PQRD type, with its default and legal source",
)
async def list_terms(request: web.Request, principal: Principal) -> web.Response:
    async with request.app[UOW]() as uow:
        terms = await service.list_terms(uow)
    return _json(TermList(terms=[_term(t) for t in terms]))


@routes.put(
    "/api/v1/admin/pqrd-terms/{type}",
    body=TermIn,
    responses={200: TermOut},
    role=Role.ADMIN,
    tags=TAGS,
    summary="Change the term of a PQRD type (applies to PQRDs filed from now on)",
)
async def set_term(request: web.Request, principal: Principal, body: TermIn) -> web.Response:
    async with request.app[UOW]() as uow:
        term = await service.set_term(uow, request.match_info["type"], body.term_days, principal.official_id)
    return _json(_term(term))


@routes.delete(
    "/api/v1/admin/pqrd-terms/{type}",
    responses={200: TermOut},
    role=Role.ADMIN,
    tags=TAGS,
    summary="Put the term of a PQRD type back to its legal default",
)
async def reset_term(request: web.Request, principal: Principal) -> web.Response:
    async with request.app[UOW]() as uow:
        term = await service.reset_term(uow, request.match_info["type"])
    return _json(_term(term))


@routes.get(
    "/api/v1/admin/legal-clock/settings",
    responses={200: ClockSettingsBody},
    role=Role.SUPERVISOR,
    tags=TAGS,
    summary="How the legal clock reads the law where it can be read two ways",
)
async def get_settings(request: web.Request, principal: Principal) -> web.Response:
    async with request.app[UOW]() as uow:
        settings = await service.load_clock_settings(uow)
    return _json(ClockSettingsBody(**service.settings_dict(settings)))


@routes.put(
    "/api/v1/admin/legal-clock/settings",
    body=ClockSettingsBody,
    responses={200: ClockSettingsBody},
    role=Role.ADMIN,
    tags=TAGS,
    summary="Change some legal clock settings (fields left out keep their value)",
)
async def put_settings(request: web.Request, principal: Principal, body: ClockSettingsBody) -> web.Response:
    changes: dict[str, Any] = body.model_dump(mode="json", exclude_unset=True)
    async with request.app[UOW]() as uow:
        settings = await service.update_settings(uow, changes, principal.official_id)
    return _json(ClockSettingsBody(**service.settings_dict(settings)))
