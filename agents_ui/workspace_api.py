"""HTTP routes of the officials' workspace (the Vue console): held work, transfer directory, inbox,
and the citizen card of a PQRD. Each is declared, so it is in the OpenAPI document."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from agents_ui import workspace
from contact_center.chat.services import console
from contact_center.core.auth import Principal
from contact_center.core.http.api import ApiRoutes
from contact_center.core.http.keys import UOW
from contact_center.core.officials import Role
from contact_center.pqrd import access

routes = ApiRoutes()
TAGS = ["console"]


class HeldConversation(BaseModel):
    conversation_id: int
    work_item_id: int | None
    channel: str
    state: str
    topic: str | None


class HeldWork(BaseModel):
    conversations: list[HeldConversation]


class QueueRef(BaseModel):
    code: str
    name: str


class OfficialRef(BaseModel):
    id: int
    name: str
    presence: str
    presence_label: str
    free_chat: int
    capacity_chat: int


class Directory(BaseModel):
    queues: list[QueueRef]
    officials: list[OfficialRef]


class InboxQuery(BaseModel):
    view: workspace.View = "mine"
    q: str | None = Field(default=None, max_length=100, description="radicado, name, document or text")
    channel: str | None = Field(default=None, max_length=20)
    type: str | None = Field(default=None, max_length=40)
    status: str | None = Field(default=None, max_length=40)


class InboxOut(BaseModel):
    view: str
    counts: dict[str, int]
    tickets: list[dict[str, Any]]


class CitizenCard(BaseModel):
    citizen: dict[str, Any] | None
    identities: list[dict[str, Any]]
    conversations: list[dict[str, Any]]
    tickets: list[dict[str, Any]]


@routes.get(
    "/api/v1/console/work",
    responses={200: HeldWork},
    role=Role.AGENT,
    tags=TAGS,
    summary="The live conversations the official attends (a reloaded console reopens them all)",
)
async def held(request: web.Request, principal: Principal) -> web.Response:
    async with request.app[UOW]() as uow:
        rows = await workspace.held_work(uow, principal.official_id)
    return web.json_response(HeldWork(conversations=[HeldConversation(**r) for r in rows]).model_dump())


@routes.get(
    "/api/v1/console/directory",
    responses={200: Directory},
    role=Role.AGENT,
    tags=TAGS,
    summary="Queues and officials by name, with presence and free chat places (transfer pickers)",
)
async def directory(request: web.Request, principal: Principal) -> web.Response:
    async with request.app[UOW]() as uow:
        found = await workspace.directory(uow, principal)
    return web.json_response(Directory(**found).model_dump())


@routes.get(
    "/api/v1/console/inbox",
    query=InboxQuery,
    responses={200: InboxOut},
    role=Role.AGENT,
    tags=TAGS,
    summary="One inbox view of open PQRDs (mine, unassigned, waiting on the citizen, due) with counts",
)
async def inbox(request: web.Request, principal: Principal, query: InboxQuery) -> web.Response:
    filters = {"channel": query.channel, "type": query.type, "status": query.status}
    async with request.app[UOW]() as uow:
        found = await workspace.inbox(uow, principal, query.view, query.q, filters)
    return web.json_response(InboxOut(**found).model_dump(mode="json"))


@routes.get(
    "/api/v1/console/tickets/{radicado}/citizen",
    responses={200: CitizenCard, 404: None},
    role=Role.AGENT,
    tags=TAGS,
    summary="The citizen card of a PQRD: identities and earlier cases and conversations",
)
async def citizen_card(request: web.Request, principal: Principal) -> web.Response:
    async with request.app[UOW]() as uow:
        ticket = await access.ticket(uow, principal, radicado=request.match_info["radicado"])
        reserved = access.reserved(ticket, principal)  # an anonymous filer stays hidden from agents
        history = await console.citizen_history(uow, None if reserved else ticket.citizen_id, principal)
        identities = await workspace.identities(uow, history["citizen"])
    return web.json_response(CitizenCard(identities=identities, **history).model_dump(mode="json"))
