"""The console's view of the router (`routing.service.RouterService`, interface #4).

The router is installed by its own feature under `routing.keys.ROUTER`; an app built without it (some
tests) keeps chats in `queued` and writes presence straight to the official's row.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import select

from contact_center.chat.services import conversations as chat
from contact_center.core.db.models import Official
from contact_center.core.errors import Conflict
from contact_center.core.events import AGENTS, SUPERVISORS, SUPERVISORS_ROOM, Event, official_room
from contact_center.core.officials import Presence
from contact_center.core.uow import UnitOfWork
from routing.keys import ROUTER
from routing.service import NewWorkItem, RouterService


def router_of(app: web.Application) -> RouterService | None:
    """The installed RouterService, or None."""
    return app.get(ROUTER)


class RouterDispatcher:
    """`chat.Dispatcher` on top of the RouterService."""

    def __init__(self, router: RouterService) -> None:
        self.router = router

    async def enqueue_chat(self, uow: UnitOfWork, conversation_id: int, queue_code: str) -> None:
        item = NewWorkItem(
            kind="conversation", queue_code=queue_code, channel="chat", conversation_id=conversation_id
        )
        await self.router.enqueue(uow, item)

    async def abandon(self, uow: UnitOfWork, conversation_id: int) -> None:
        await self.router.abandon(uow, conversation_id)


def dispatcher_for(app: web.Application) -> chat.Dispatcher:
    router = router_of(app)
    return RouterDispatcher(router) if router is not None else chat.NoDispatcher()


def require_router(app: web.Application) -> RouterService:
    router = router_of(app)
    if router is None:
        raise Conflict("El enrutador no está disponible en este servidor.", code="router_unavailable")
    return router


async def set_presence(
    app: web.Application, uow: UnitOfWork, official_id: int, presence: Presence, reason: str | None
) -> None:
    """Through the router when installed; otherwise on the official's row, with the same event."""
    router = router_of(app)
    if router is not None:
        await router.set_presence(uow, official_id, presence, reason)
        await uow.commit()
        return
    official = await uow.session.scalar(select(Official).where(Official.id == official_id).with_for_update())
    if official is None:
        raise Conflict("El funcionario no existe.", code="unknown_official")
    now = uow.clock.now()
    official.presence = presence.value
    official.away_reason = reason if presence is Presence.AWAY else None
    official.presence_since = now
    if presence is Presence.AVAILABLE:
        official.idle_since = official.idle_since or now
    payload = {"official_id": official_id, "presence": presence.value, "reason": official.away_reason}
    uow.emit(Event("presence", AGENTS, official_room(official_id), payload))
    uow.emit(Event("presence", SUPERVISORS, SUPERVISORS_ROOM, payload))
    await uow.commit()


async def position(app: web.Application, uow_factory: Any, conversation_id: int) -> dict[str, Any] | None:
    router = router_of(app)
    if router is None:
        return None
    async with uow_factory() as uow:
        found = await router.position(uow, conversation_id)
    if found is None:
        return None
    return {"position": found.position, "eta_seconds": found.eta_seconds}
