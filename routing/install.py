"""`install_router(app)`: the router service under `ROUTER` and this process's engine.

The app's notifier is wrapped so the engine hears this process's changes after commit; on
PostgreSQL the engine also `LISTEN`s for every other process's changes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from contact_center.core.http.keys import NOTIFIER, SETTINGS, UOW
from routing.bus import RoutingNotifier
from routing.engine import RoutingEngine
from routing.keys import ROUTER, ROUTING_ENGINE
from routing.service import RouterService


def install_router(app: web.Application) -> None:
    notifier = RoutingNotifier(app[NOTIFIER])
    app[NOTIFIER] = notifier

    async def lifetime(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        dsn = None if settings.is_sqlite else settings.effective_database_url.replace("+asyncpg", "", 1)
        engine = RoutingEngine(app[UOW], listen_dsn=dsn)
        notifier.listeners.append(engine.kick)
        app[ROUTING_ENGINE] = engine
        app[ROUTER] = RouterService(engine.setup_for, engine.origin)
        await engine.start()
        yield
        await engine.stop()

    app.cleanup_ctx.append(lifetime)
