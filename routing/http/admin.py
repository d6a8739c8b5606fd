"""Admin API of routing: queues, officials' skills and capacities, the router's settings."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel

from contact_center.core.auth import Principal
from contact_center.core.errors import InvalidInput
from contact_center.core.http.api import MAX_ROW_ID, ApiRoutes
from contact_center.core.http.keys import UOW
from contact_center.core.officials import Role
from contact_center.pqrd import access
from routing import admin
from routing.admin import OfficialRoutingIn, QueueIn, QueueOut, RoutingSettingsIn

routes = ApiRoutes()
_TAGS = ["routing"]


class QueueList(BaseModel):
    queues: list[QueueOut]


class OfficialRoutingOut(BaseModel):
    official_id: int
    skills: dict[str, int]
    capacity: dict[str, int]


@routes.get(
    "/api/v1/routing/queues",
    responses={200: QueueList},
    role=Role.SUPERVISOR,
    tags=_TAGS,
    summary="Queues with their skills, priority, service level, time steps and business hours",
)
async def list_queues(request: web.Request, principal: Principal) -> web.Response:
    async with request.app[UOW]() as uow:
        out = QueueList(queues=await admin.list_queues(uow))
    return web.json_response(out.model_dump(mode="json"))


@routes.put(
    "/api/v1/routing/queues/{code}",
    body=QueueIn,
    responses={200: QueueOut, 400: None},
    role=Role.ADMIN,
    tags=_TAGS,
    summary="Create or replace a queue (validated; every engine reloads)",
)
async def put_queue(request: web.Request, principal: Principal, body: QueueIn) -> web.Response:
    async with request.app[UOW]() as uow:
        out = await admin.set_queue(uow, request.match_info["code"], body)
        await uow.commit()
    return web.json_response(out.model_dump(mode="json"))


@routes.put(
    "/api/v1/routing/officials/{official_id}",
    body=OfficialRoutingIn,
    responses={200: OfficialRoutingOut, 400: None, 404: None},
    role=Role.ADMIN,
    tags=_TAGS,
    summary="Replace an official's skills (levels 1-10) and capacity per channel",
)
async def put_official(request: web.Request, principal: Principal, body: OfficialRoutingIn) -> web.Response:
    try:
        official_id = int(request.match_info["official_id"])
        if not 1 <= official_id <= MAX_ROW_ID:
            raise ValueError(official_id)
    except ValueError:
        raise InvalidInput("Id de funcionario no válido.", code="invalid_official_id") from None
    async with request.app[UOW]() as uow:
        await access.official(uow, principal, official_id)
        out = await admin.set_official_routing(uow, official_id, body)
        await uow.commit()
    return web.json_response(OfficialRoutingOut.model_validate(out).model_dump(mode="json"))


@routes.get(
    "/api/v1/routing/settings",
    responses={200: RoutingSettingsIn},
    role=Role.SUPERVISOR,
    tags=_TAGS,
    summary="Offer timeout, missed offers before away, wrap-up seconds",
)
async def get_settings(request: web.Request, principal: Principal) -> web.Response:
    async with request.app[UOW]() as uow:
        out = await admin.get_settings(uow)
    return web.json_response(out.model_dump(mode="json"))


@routes.put(
    "/api/v1/routing/settings",
    body=RoutingSettingsIn,
    responses={200: RoutingSettingsIn, 400: None},
    role=Role.ADMIN,
    tags=_TAGS,
    summary="Set the router's settings (every engine reloads)",
)
async def put_settings(request: web.Request, principal: Principal, body: RoutingSettingsIn) -> web.Response:
    async with request.app[UOW]() as uow:
        out = await admin.set_settings(uow, body)
        await uow.commit()
    return web.json_response(out.model_dump(mode="json"))
