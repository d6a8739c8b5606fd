"""The `/supervisors` namespace: the live dashboard, and two actions — change an official's presence
and reassign a PQRD — allowed only within the supervisor's own dependencia (admins: everywhere)."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from aiohttp import web
from pydantic import Field

from agents_ui import router_port, supervision
from contact_center.core.auth import Principal
from contact_center.core.errors import Conflict
from contact_center.core.http.keys import UOW
from contact_center.core.http.realtime import SupervisorsNamespace
from contact_center.core.http.socket_handlers import Empty, EventModel, ValidatingNamespace, event
from contact_center.core.officials import Presence
from contact_center.core.uow import UnitOfWork
from contact_center.pqrd import access
from contact_center.pqrd.services import actions
from contact_center.pqrd.services.tickets import Actor

Id = Field(ge=1, le=2**53)
DASHBOARD_EVENT = "dashboard"


class SetPresenceIn(EventModel):
    official_id: int = Id
    presence: Literal["available", "away", "offline"]
    reason: str | None = Field(default=None, max_length=100)


class ReassignIn(EventModel):
    ticket_id: int = Id
    official_id: int | None = Field(default=None, ge=1)
    dependencia: str | None = Field(default=None, max_length=40)
    reason: str = Field(min_length=3, max_length=2000)


def queue_stats_of(app: web.Application) -> supervision.QueueStats | None:
    """The router's live queue statistics as plain dicts, when a router is installed."""
    router = router_port.router_of(app)
    if router is None:
        return None

    async def stats(uow: UnitOfWork) -> list[dict[str, Any]]:
        rows = await router.queue_stats(uow)
        return [r if isinstance(r, dict) else _plain(r) for r in rows]

    return stats


def _plain(row: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(row) and not isinstance(row, type):
        return dataclasses.asdict(row)
    dumped: dict[str, Any] = row.model_dump(mode="json")
    return dumped


class DashboardNamespace(ValidatingNamespace, SupervisorsNamespace):
    def __init__(self, namespace: str, app: web.Application, feed: supervision.SupervisorFeed) -> None:
        super().__init__(namespace, app[UOW])
        self.app = app
        self.feed = feed

    async def joined(self, sid: str, principal: Principal) -> None:
        await super().joined(sid, principal)
        await self.emit(DASHBOARD_EVENT, await self.feed.current(), to=sid)

    @event(Empty)
    async def on_refresh(self, sid: str, body: Empty) -> dict[str, Any]:
        """The newest snapshot as the ack (for a page that was hidden); pushes continue anyway."""
        return {"dashboard": await self.feed.current()}

    @event(SetPresenceIn)
    async def on_set_presence(self, sid: str, body: SetPresenceIn) -> dict[str, Any]:
        me = await self.principal(sid)
        if body.presence == "away" and not body.reason:
            raise Conflict("Indique el motivo de la ausencia.", code="reason_required")
        async with self.uow() as uow:
            official = await access.official(uow, me, body.official_id)
            access.may_manage(me, official.dependencia_id)
            await router_port.set_presence(self.app, uow, official.id, Presence(body.presence), body.reason)
        return {"official_id": body.official_id, "presence": body.presence}

    @event(ReassignIn)
    async def on_reassign(self, sid: str, body: ReassignIn) -> dict[str, Any]:
        me = await self.principal(sid)
        if (body.official_id is None) == (body.dependencia is None):
            raise Conflict(
                "Indique un funcionario o una dependencia de destino.", code="reassign_target_required"
            )
        actor = Actor("official", me.official_id)
        async with self.uow() as uow:
            ticket = await access.ticket(uow, me, ticket_id=body.ticket_id, lock=True)
            access.may_manage(me, ticket.dependencia_id)
            if body.official_id is not None:
                official = await access.official(uow, me, body.official_id)
                access.may_manage(me, official.dependencia_id)
                await actions.assign(uow, ticket, official.id, actor, reason=body.reason)
            else:
                assert body.dependencia is not None
                await actions.change_dependencia(
                    uow, ticket, actor, dependencia_code=body.dependencia, reason=body.reason
                )
            await uow.commit()
            return {
                "ticket_id": ticket.id,
                "assignee_id": ticket.assignee_id,
                "dependencia_id": ticket.dependencia_id,
            }
