"""`/api/v1/tramites`: the public catalogue (list, search, detail with ETag, feedback) and its
administration (create, new version, publish, archive, versions and audit), plus the usage report.

Reading is public: the portal, the citizens' app and the chat widget use it without a session.
Changing needs an administrator, or the supervisor of the dependencia that owns the trámite.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from contact_center.core.auth import Principal
from contact_center.core.errors import InvalidInput
from contact_center.core.http.api import ApiRoutes
from contact_center.core.http.keys import UOW
from contact_center.core.officials import Role
from contact_center.tramites import reports, services
from contact_center.tramites.domain import TramiteRecord
from contact_center.tramites.models import Tramite, TramiteAudit, TramiteVersion

routes = ApiRoutes()
_TAGS = ["tramites"]
_ADMIN_TAGS = ["tramites-admin"]
Channel = Literal["portal", "app", "chat", "voice", "console"]


class TramiteIn(TramiteRecord):
    """A trámite record as an official sends it; it is stored as a draft version."""

    status: Literal["draft"] = "draft"
    reason: Annotated[str, Field(max_length=500)] = ""


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, Field(max_length=500)] = ""


class ListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    q: Annotated[str, Field(max_length=200)] = ""
    dependencia: Annotated[str, Field(max_length=40)] = ""
    situacion: Annotated[str, Field(max_length=40)] = ""
    page: Annotated[int, Field(ge=1, le=500)] = 1
    channel: Channel = "app"
    typing: bool = False  # suggestions while the citizen types: partial words are not logged


class DetailQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    as_of: datetime | None = None
    channel: Channel = "app"


class DependenciaOut(BaseModel):
    id: int
    code: str
    name: str


class TimeOut(BaseModel):
    unit: str
    amount: int | None
    text: str


class TramiteItem(BaseModel):
    slug: str
    name: str
    purpose: str
    dependencia: DependenciaOut
    online: bool
    cost: dict[str, Any]
    time_to_obtain: TimeOut
    chat_answer: str
    url: str


class TramiteList(BaseModel):
    items: list[TramiteItem]
    total: int
    page: int
    page_size: int


class TramiteDetail(BaseModel):
    model_config = ConfigDict(extra="allow")
    slug: str
    name: str
    version: int
    published_at: datetime | None
    dependencia: DependenciaOut


class Created(BaseModel):
    slug: str
    status: str
    version: int


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    useful: bool
    channel: Channel = "app"
    resolved: bool = False  # the answer resolved the need without an official (chat suggestions)


def public_url(slug: str) -> str:
    return f"/portal/tramites/{slug}"


def _dep(shown: services.Shown) -> DependenciaOut:
    d = shown.dependencia
    return DependenciaOut(id=d.id, code=d.code, name=d.name)


def item_out(shown: services.Shown) -> TramiteItem:
    record = shown.record
    t = record.time_to_obtain
    return TramiteItem(
        slug=shown.tramite.slug,
        name=record.name,
        purpose=record.purpose,
        dependencia=_dep(shown),
        online=record.online,
        cost=record.cost.model_dump(),
        time_to_obtain=TimeOut(unit=t.unit, amount=t.amount, text=t.spoken()),
        chat_answer=record.chat_answer,
        url=public_url(shown.tramite.slug),
    )


def detail_out(shown: services.Shown) -> dict[str, Any]:
    record = shown.record.model_dump(mode="json")
    t = shown.record.time_to_obtain
    record["time_to_obtain"]["text"] = t.spoken()
    return {
        **record,
        "slug": shown.tramite.slug,
        "version": shown.version.number,
        "published_at": shown.version.published_at.isoformat() if shown.version.published_at else None,
        "dependencia": _dep(shown).model_dump(),
        "url": public_url(shown.tramite.slug),
    }


@routes.get(
    "/api/v1/tramites",
    query=ListQuery,
    responses={200: TramiteList, 400: None},
    tags=_TAGS,
    summary="Search or browse the published catalogue (accents, case, plurals and a typo tolerated)",
)
async def list_tramites(request: web.Request, query: ListQuery) -> web.Response:
    async with request.app[UOW]() as uow:
        dep = await services.resolve_dependencia(uow, query.dependencia)
        found = await services.search(
            uow, query.q, dependencia_id=dep, situation=query.situacion or None, page=query.page
        )
        out = TramiteList(
            items=[item_out(s) for s in found.items],
            total=found.total,
            page=query.page,
            page_size=services.PAGE_SIZE,
        )
        if query.q.strip() and found.total == 0 and not query.typing:
            await services.record_usage(uow, "no_result", query.channel, query=query.q)
            await uow.commit()
    return web.json_response(out.model_dump(mode="json"))


@routes.get(
    "/api/v1/tramites/{slug}",
    query=DetailQuery,
    responses={200: TramiteDetail, 304: None, 404: None},
    tags=_TAGS,
    summary="The whole published record (ETag; as_of=ISO date-time gives what was shown then)",
)
async def get_tramite(request: web.Request, query: DetailQuery) -> web.Response:
    async with request.app[UOW]() as uow:
        shown = await services.shown(uow, request.match_info["slug"], query.as_of)
        etag = shown.etag()
        headers = {"ETag": etag, "Cache-Control": "public, no-cache"}
        wanted = {t.strip() for t in request.headers.get("If-None-Match", "").split(",")}
        if etag in wanted or "*" in wanted:
            return web.Response(status=304, headers=headers)
        body = detail_out(shown)
        if query.as_of is None:
            await services.record_usage(uow, "consulted", query.channel, tramite_id=shown.tramite.id)
            await uow.commit()
    return web.json_response(body, headers=headers)


@routes.post(
    "/api/v1/tramites/{slug}/feedback",
    body=FeedbackIn,
    responses={204: None, 404: None},
    tags=_TAGS,
    summary="¿Le fue útil? (kept per channel and month, without personal data)",
)
async def post_feedback(request: web.Request, body: FeedbackIn) -> web.Response:
    async with request.app[UOW]() as uow:
        await services.feedback(
            uow, request.match_info["slug"], body.useful, body.channel, resolved=body.resolved
        )
        await uow.commit()
    return web.Response(status=204)


# -- administration -------------------------------------------------------------------------------


def _record_only(body: TramiteIn) -> TramiteRecord:
    return TramiteRecord.model_validate(body.model_dump(exclude={"status", "reason"}))


@routes.post(
    "/api/v1/tramites",
    body=TramiteIn,
    responses={201: Created, 400: None, 403: None, 409: None},
    role=Role.SUPERVISOR,
    tags=_ADMIN_TAGS,
    summary="Create a trámite as a draft (admin, or the owning dependencia's supervisor)",
)
async def create_tramite(request: web.Request, principal: Principal, body: TramiteIn) -> web.Response:
    async with request.app[UOW]() as uow:
        tramite = await services.create(uow, _record_only(body), services.Actor.of(principal), body.reason)
        await uow.commit()
    out = Created(slug=tramite.slug, status=tramite.status, version=tramite.latest_version)
    return web.json_response(out.model_dump(), status=201)


@routes.put(
    "/api/v1/tramites/{slug}",
    body=TramiteIn,
    responses={200: Created, 400: None, 403: None, 404: None},
    role=Role.SUPERVISOR,
    tags=_ADMIN_TAGS,
    summary="A new draft version (the published one is shown until this one is published); reason required",
)
async def edit_tramite(request: web.Request, principal: Principal, body: TramiteIn) -> web.Response:
    if len(body.reason.strip()) < 3:
        raise InvalidInput("Indique el motivo del cambio (reason).", code="reason_required")
    async with request.app[UOW]() as uow:
        tramite = await services.edit(
            uow, request.match_info["slug"], _record_only(body), services.Actor.of(principal), body.reason
        )
        await uow.commit()
    out = Created(slug=tramite.slug, status=tramite.status, version=tramite.latest_version)
    return web.json_response(out.model_dump())


@routes.post(
    "/api/v1/tramites/{slug}/publish",
    body=ReasonIn,
    responses={200: Created, 403: None, 404: None, 409: None},
    role=Role.SUPERVISOR,
    tags=_ADMIN_TAGS,
    summary="Publish the latest draft version (the one published before is superseded)",
)
async def publish_tramite(request: web.Request, principal: Principal, body: ReasonIn) -> web.Response:
    async with request.app[UOW]() as uow:
        tramite = await services.publish(
            uow, request.match_info["slug"], services.Actor.of(principal), body.reason
        )
        await uow.commit()
    out = Created(slug=tramite.slug, status=tramite.status, version=tramite.latest_version)
    return web.json_response(out.model_dump())


@routes.post(
    "/api/v1/tramites/{slug}/archive",
    body=ReasonIn,
    responses={200: Created, 403: None, 404: None, 409: None},
    role=Role.SUPERVISOR,
    tags=_ADMIN_TAGS,
    summary="Withdraw a trámite from every channel (its versions stay); reason required",
)
async def archive_tramite(request: web.Request, principal: Principal, body: ReasonIn) -> web.Response:
    if len(body.reason.strip()) < 3:
        raise InvalidInput("Indique el motivo del archivo (reason).", code="reason_required")
    async with request.app[UOW]() as uow:
        tramite = await services.archive(
            uow, request.match_info["slug"], services.Actor.of(principal), body.reason
        )
        await uow.commit()
    out = Created(slug=tramite.slug, status=tramite.status, version=tramite.latest_version)
    return web.json_response(out.model_dump())


@routes.get(
    "/api/v1/tramites/{slug}/versions",
    responses={200: None, 404: None},
    role=Role.SUPERVISOR,
    tags=_ADMIN_TAGS,
    summary="Every version (drafts included) and the audit: who, what, when and why",
)
async def list_versions(request: web.Request, principal: Principal) -> web.Response:
    async with request.app[UOW]() as uow:
        tramite, found, audit = await services.versions(uow, request.match_info["slug"])
        body = _versions_out(tramite, found, audit)
    return web.json_response(body)


def _versions_out(tramite: Tramite, found: list[TramiteVersion], audit: list[TramiteAudit]) -> dict[str, Any]:
    return {
        "slug": tramite.slug,
        "status": tramite.status,
        "published_version": tramite.published_version,
        "versions": [
            {
                "number": v.number,
                "status": v.status,
                "created_at": v.created_at.isoformat(),
                "created_by": v.created_by,
                "published_at": v.published_at.isoformat() if v.published_at else None,
                "superseded_at": v.superseded_at.isoformat() if v.superseded_at else None,
                "record": v.record,
            }
            for v in found
        ],
        "audit": [
            {
                "version": a.version,
                "action": a.action,
                "actor_kind": a.actor_kind,
                "official_id": a.official_id,
                "via": a.via,
                "reason": a.reason,
                "at": a.at.isoformat(),
            }
            for a in audit
        ],
    }


class ReportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    month: Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] | None = None
    format: Literal["json", "csv"] = "json"
    table: Literal["consulted", "no_result", "unhelpful", "resolved"] = "consulted"


@routes.get(
    "/api/v1/reports/tramites",
    query=ReportQuery,
    responses={200: None, 400: None},
    role=Role.SUPERVISOR,
    tags=["reports"],
    summary="Most consulted trámites, searches with no result and unhelpful answers, by channel and month",
)
async def usage_report(request: web.Request, principal: Principal, query: ReportQuery) -> web.Response:
    async with request.app[UOW]() as uow:
        report = await reports.usage(uow, query.month)
    if query.format == "json":
        return web.json_response(report)
    rows: list[dict[str, Any]] = report[query.table]
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), delimiter=";", lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
    name = f"tramites-{query.table}-{query.month or 'todo'}.csv"
    return web.Response(
        body=("\ufeff" + buffer.getvalue()).encode(),
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{name}"',
        },
    )
