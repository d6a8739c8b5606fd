"""`install_console(app)`: the chat, console and dashboard pages, the three namespaces, the feed.

The console's `/agents` and `/supervisors` namespaces subclass the foundation's ones (same
authentication on connect) and are registered over them; `/chat` is the citizens' namespace.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from agents_ui import filing, pages, router_port
from agents_ui.namespace_agents import ConsoleAgentsNamespace
from agents_ui.namespace_supervisors import DASHBOARD_EVENT, DashboardNamespace, queue_stats_of
from channels.webchat.namespace import ChatDeps, ChatNamespace
from contact_center.domain.events import AGENTS, CHAT, SUPERVISORS, SUPERVISORS_ROOM
from contact_center.services.intake import Intake
from contact_center.services.supervision import SupervisorFeed
from contact_center.web.keys import SETTINGS, SIO, UOW


def install_console(app: web.Application) -> None:
    app.router.add_routes(pages.routes)
    app.cleanup_ctx.append(_namespaces)


async def _namespaces(app: web.Application) -> AsyncIterator[None]:
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
    sio.register_namespace(ChatNamespace(CHAT, deps))
    sio.register_namespace(ConsoleAgentsNamespace(AGENTS, app))
    sio.register_namespace(DashboardNamespace(SUPERVISORS, app, feed))
    feed.start()
    yield
    await feed.stop()
