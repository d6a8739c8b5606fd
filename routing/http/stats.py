"""`GET /api/v1/stats/queues`: the live queue figures supervisors watch (routing.stats)."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from pydantic import BaseModel, Field

from contact_center.core.auth import Principal
from contact_center.core.http.api import ApiRoutes
from contact_center.core.http.keys import UOW
from contact_center.core.officials import Role
from routing.keys import ROUTER
from routing.stats import stats_payload

routes = ApiRoutes()


class OfficialStates(BaseModel):
    available: int
    busy: int
    wrap_up: int
    away: int
    offline: int


class OfferOutcomes(BaseModel):
    accepted: int
    rejected: int
    timed_out: int
    revoked: int


class ServiceLevelTarget(BaseModel):
    threshold_seconds: float
    percent: float


class QueueFigures(BaseModel):
    id: int
    code: str
    name: str
    waiting: int
    longest_wait_seconds: float
    officials: OfficialStates
    service_level: float | None
    service_level_target: ServiceLevelTarget
    offers: OfferOutcomes
    answered: int
    abandoned: int
    average_speed_of_answer_seconds: float | None
    open: bool = Field(description="within its business hours now (new live work is let in)")
    next_open: datetime | None = Field(description="when closed, its next opening (America/Bogota)")


class QueueStatsOut(BaseModel):
    queues: list[QueueFigures]


@routes.get(
    "/api/v1/stats/queues",
    responses={200: QueueStatsOut, 401: None, 403: None},
    role=Role.SUPERVISOR,
    tags=["stats"],
    summary="Live queue statistics: waiting, longest wait, officials by state, service level, offers, hours",
)
async def queue_stats(request: web.Request, principal: Principal) -> web.Response:
    async with request.app[UOW]() as uow:
        figures = await request.app[ROUTER].queue_stats(uow)
    out = QueueStatsOut.model_validate(stats_payload(figures))
    return web.json_response(out.model_dump(mode="json"))
