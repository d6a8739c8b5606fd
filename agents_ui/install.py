"""`install_console(app)`: the chat, console and dashboard pages, the three namespaces, the feed.

The console's `/agents` and `/supervisors` namespaces subclass the foundation's ones (same
authentication on connect) and are registered over them; `/chat` is the citizens' namespace.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web

from agents_ui import app_pages, filing, pages, router_port, workspace_api
from agents_ui.feed_signals import QUIET_EVENTS, ChangeWatch
from agents_ui.namespace_agents import ConsoleAgentsNamespace
from agents_ui.namespace_supervisors import DASHBOARD_EVENT, DashboardNamespace, queue_stats_of
from agents_ui.supervision import SupervisorFeed
from channels.webchat.abandon import AbandonWatch
from channels.webchat.namespace import ChatDeps, ChatNamespace
from contact_center.core.events import AGENTS, CHAT, SUPERVISORS, SUPERVISORS_ROOM, conversation_room
from contact_center.core.http.api import ROUTE_SPECS
from contact_center.core.http.keys import NOTIFIER, SETTINGS, SIO, UOW
from contact_center.core.http.realtime import BatchingRedisManager
from contact_center.pqrd.services.intake import Intake


def install_console(app: web.Application) -> None:
    app.router.add_routes(pages.routes)
    app.router.add_routes(app_pages.routes)
    workspace_api.routes.add_to(app)
    app[ROUTE_SPECS].extend(workspace_api.routes.specs)  # in the OpenAPI document
    app.middlewares.insert(0, app_pages.html_errors)  # outermost: sees the JSON error it turns to HTML
    # Wrapped before the database starts, so every unit of work publishes through the watch.
    watch = ChangeWatch(app[NOTIFIER])
    app[NOTIFIER] = watch
    app.cleanup_ctx.append(lambda app: _namespaces(app, watch))


async def _namespaces(app: web.Application, watch: ChangeWatch) -> AsyncIterator[None]:
    sio = app[SIO]
    uow = app[UOW]

    async def position(conversation_id: int) -> Any:
        return await router_port.position(app, uow, conversation_id)

    async def after_filing(result: Intake) -> None:
        await filing.after_filing(app, result)

    deps = ChatDeps(
        uow,
        app[SETTINGS].signing_key(),
        lambda: router_port.dispatcher_for(app),
        position,
        lambda: filing.filing_deps(app),
        after_filing,
    )

    async def push(snapshot: dict[str, Any]) -> None:
        # Only this process's supervisors: every process runs its own feed (no duplicates via Redis).
        await sio.emit(
            DASHBOARD_EVENT, snapshot, to=SUPERVISORS_ROOM, namespace=SUPERVISORS, ignore_queue=True
        )

    def listeners() -> int:
        return sum(1 for _ in sio.manager.get_participants(SUPERVISORS, SUPERVISORS_ROOM))

    feed = SupervisorFeed(uow, push, listeners, lambda: queue_stats_of(app))
    chat_namespace = ChatNamespace(CHAT, deps)
    chat_namespace.abandon = AbandonWatch(
        uow,
        lambda: router_port.dispatcher_for(app),
        lambda conversation_id: _connected(sio, conversation_id),
        app[SETTINGS].chat_abandon_grace_seconds,
    )
    sio.register_namespace(chat_namespace)
    sio.register_namespace(ConsoleAgentsNamespace(AGENTS, app))
    sio.register_namespace(DashboardNamespace(SUPERVISORS, app, feed))
    watch.on_change = feed.changed
    _hear_redis(sio, feed.changed)
    feed.start()
    yield
    await chat_namespace.abandon.stop()
    await feed.stop()


def _connected(sio: Any, conversation_id: int) -> bool:
    """Whether any citizen page of the conversation is connected to this process."""
    room = conversation_room(conversation_id)
    return any(True for _ in sio.manager.get_participants(CHAT, room))


def _hear_redis(sio: Any, changed: Callable[[], None]) -> None:
    """With Redis, every other process's (and worker's) events pass through this process's manager:
    a PQRD updated or escalated elsewhere wakes the feed as a local one does."""
    manager = getattr(sio, "manager", None)
    if isinstance(manager, BatchingRedisManager):
        manager.heard = lambda name: None if name in QUIET_EVENTS else changed()
