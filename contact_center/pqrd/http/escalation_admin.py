"""Administrators' routes for the escalation policy and for which status changes notify citizens.
Supervisors may read both."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from contact_center.core.auth import Principal
from contact_center.core.http.api import ApiRoutes
from contact_center.core.http.keys import JOBS, UOW
from contact_center.core.officials import Role
from contact_center.pqrd.domain.escalation import MAX_DAYS_LEFT, policy_to_dict
from contact_center.pqrd.domain.tickets import TicketStatus
from contact_center.pqrd.services import escalation_audience, notifications
from contact_center.pqrd.services import escalation_policy as service

routes = ApiRoutes()
TAGS = ["escalation"]
TierName = Literal["assignee", "supervisor", "atencion_ciudadano"]


class TermThreshold(BaseModel):
    model_config = ConfigDict(extra="forbid")
    share: float = Field(gt=0, le=1, description="share of the term used, e.g. 0.8 for 80 %")
    tier: TierName


class DaysLeftThreshold(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days: int = Field(ge=0, le=MAX_DAYS_LEFT, strict=True, description="business days left; 0 = due today")
    tier: TierName


class StatutoryPoints(BaseModel):
    """The statutory last days; null turns a point off."""

    model_config = ConfigDict(extra="forbid")
    completion_request: TierName | None = Field(default=None, description="art. 17: last day to ask")
    forwarding: TierName | None = Field(default=None, description="art. 21: last day to forward")
    extension_notice: TierName | None = Field(default=None, description="art. 14: last day for a prórroga")


class PolicyBody(BaseModel):
    """The escalation policy. In an update every field is optional and keeps its value when left
    out; `statutory` replaces all three points. Tiers: assignee (1), supervisor (2, also the
    dependencia's supervisors), atencion_ciudadano (3, also the Oficina de Atención al Ciudadano)."""

    model_config = ConfigDict(extra="forbid")
    term_used: list[TermThreshold] | None = Field(default=None, max_length=10)
    days_left: list[DaysLeftThreshold] | None = Field(default=None, max_length=10)
    overdue: TierName | None = None
    statutory: StatutoryPoints | None = None
    notify_hour: int | None = Field(default=None, ge=0, le=23, strict=True, description="Bogotá hour")
    labels: dict[str, str] | None = Field(default=None, description="custom text by point key, e.g. term_50")


class RescheduleOut(BaseModel):
    revision: int
    tickets: int = Field(description="open tickets rescheduled so far")
    done: bool


class PolicyOut(PolicyBody):
    revision: int = Field(description="0 while the defaults have never been changed")
    updated_at: datetime | None
    updated_by: int | None
    reschedule: RescheduleOut | None


class NoticesBody(BaseModel):
    """Ticket statuses whose changes are notified to the citizen (`radicado`: the acuse de recibo)."""

    model_config = ConfigDict(extra="forbid")
    statuses: list[TicketStatus] = Field(max_length=len(TicketStatus))


def _policy_out(stored: service.StoredPolicy) -> PolicyOut:
    progress = stored.reschedule
    return PolicyOut(
        **policy_to_dict(stored.policy),
        revision=stored.revision,
        updated_at=stored.updated_at,
        updated_by=stored.updated_by,
        reschedule=None
        if progress is None
        else RescheduleOut(revision=progress.revision, tickets=progress.tickets, done=progress.done),
    )


def _json(model: BaseModel) -> web.Response:
    return web.json_response(model.model_dump(mode="json"))


@routes.get(
    "/api/v1/admin/escalation-policy",
    responses={200: PolicyOut},
    role=Role.SUPERVISOR,
    tags=TAGS,
    summary="Escalation thresholds and statutory points in force, and the last rescheduling's progress",
)
async def get_policy(request: web.Request, principal: Principal) -> web.Response:
    async with request.app[UOW]() as uow:
        stored = await service.stored_policy(uow)
    return _json(_policy_out(stored))


@routes.put(
    "/api/v1/admin/escalation-policy",
    body=PolicyBody,
    responses={200: PolicyOut, 400: None},
    role=Role.ADMIN,
    tags=TAGS,
    summary="Change the escalation policy; open tickets are rescheduled in the background",
)
async def put_policy(request: web.Request, principal: Principal, body: PolicyBody) -> web.Response:
    changes: dict[str, Any] = body.model_dump(mode="json", exclude_unset=True)
    if body.statutory is not None:  # all three: a point left out is turned off
        changes["statutory"] = body.statutory.model_dump(mode="json")
    async with request.app[UOW]() as uow:
        stored = await service.set_policy(uow, changes, principal.official_id)
    await service.start_reschedule(request.app[JOBS], stored.revision)
    return _json(_policy_out(stored))


@routes.delete(
    "/api/v1/admin/escalation-policy",
    responses={200: PolicyOut},
    role=Role.ADMIN,
    tags=TAGS,
    summary="Put the escalation policy back to its defaults (open tickets are rescheduled)",
)
async def reset_policy(request: web.Request, principal: Principal) -> web.Response:
    async with request.app[UOW]() as uow:
        stored = await service.reset_policy(uow, principal.official_id)
    await service.start_reschedule(request.app[JOBS], stored.revision)
    return _json(_policy_out(stored))


@routes.get(
    "/api/v1/admin/citizen-notices",
    responses={200: NoticesBody},
    role=Role.SUPERVISOR,
    tags=TAGS,
    summary="Which ticket status changes are notified to the citizen by e-mail and SMS",
)
async def get_notices(request: web.Request, principal: Principal) -> web.Response:
    async with request.app[UOW]() as uow:
        statuses = await notifications.notice_statuses(uow)
    return _json(NoticesBody(statuses=sorted(statuses)))


@routes.put(
    "/api/v1/admin/citizen-notices",
    body=NoticesBody,
    responses={200: NoticesBody, 400: None},
    role=Role.ADMIN,
    tags=TAGS,
    summary="Choose which ticket status changes are notified to the citizen",
)
async def put_notices(request: web.Request, principal: Principal, body: NoticesBody) -> web.Response:
    async with request.app[UOW]() as uow:
        statuses = await notifications.set_notice_statuses(
            uow, [s.value for s in body.statuses], principal.official_id
        )
    return _json(NoticesBody(statuses=sorted(statuses)))


class CoverageGap(BaseModel):
    dependencia_id: int
    code: str
    name: str
    fallback: Literal["atencion_ciudadano", "admins", "nobody"] = Field(
        description="who gets its supervisor-tier alerts instead: the Oficina de Atención al Ciudadano's "
        "supervisors, else the administrators; nobody when the city has neither"
    )


class CoverageOut(BaseModel):
    """Dependencias with no active supervisor to escalate to (empty: every one has one)."""

    without_supervisor: list[CoverageGap]


@routes.get(
    "/api/v1/admin/escalation-coverage",
    responses={200: CoverageOut},
    role=Role.SUPERVISOR,
    tags=TAGS,
    summary="Which dependencias have no supervisor to escalate to, and where their alerts go instead",
)
async def get_coverage(request: web.Request, principal: Principal) -> web.Response:
    async with request.app[UOW]() as uow:
        gaps = await escalation_audience.coverage(uow)
    return _json(CoverageOut(without_supervisor=[CoverageGap(**vars(g)) for g in gaps]))
