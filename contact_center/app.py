"""The composition root: builds the aiohttp application and wires every dependency once."""

from __future__ import annotations

import asyncio
import gc
import inspect
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from channels.app import http as citizen_app
from channels.portal.pages import install_portal
from contact_center.citizens import http as citizens
from contact_center.core.clock import Clock, clock_for
from contact_center.core.config import Settings
from contact_center.core.db import migrate
from contact_center.core.db.engine import create_engine, session_factory
from contact_center.core.http import auth, system
from contact_center.core.http.api import ROUTE_SPECS, ApiRoutes
from contact_center.core.http.errors import error_middleware
from contact_center.core.http.keys import (
    CLOCK,
    ENGINE,
    METRICS,
    NOTIFIER,
    REDIS,
    SERVICES,
    SETTINGS,
    SIO,
    UOW,
)
from contact_center.core.http.realtime import REDIS_POOL_SIZE, create_server, register_namespaces
from contact_center.core.http.safe_input import input_middleware
from contact_center.core.notifier import SocketIONotifier
from contact_center.core.uow import UnitOfWorkFactory
from contact_center.jobs.install import install_jobs
from contact_center.officials import http as officials
from contact_center.operations.metrics import install_ops_metrics
from contact_center.operations.retention_jobs import install_retention
from contact_center.pqrd.http import calendar_admin, escalation_admin, pqrd, reports, tickets
from contact_center.pqrd.http import deadline as pqrd_deadline
from contact_center.pqrd.http import imports as ticket_import
from contact_center.pqrd.http.support import install_intake
from routing.http import admin as routing_admin
from routing.http import stats
from routing.install import install_router

log = logging.getLogger(__name__)
GC_THRESHOLDS = (10_000, 20, 100)  # Python's defaults are (700, 10, 10); see _freeze_startup_heap

# Feature modules add their declared routes here; the OpenAPI document is built from this list.
API_ROUTES: list[ApiRoutes] = [
    auth.routes,
    citizen_app.routes,
    officials.routes,
    system.api,
    reports.routes,
    ticket_import.routes,
    pqrd_deadline.routes,
    tickets.routes,
    calendar_admin.routes,
    pqrd.routes,
    stats.routes,
    routing_admin.routes,
    escalation_admin.routes,
    citizens.routes,
]
Installer = Callable[[web.Application], None]


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    installers: list[Installer] | None = None,
) -> web.Application:
    """The whole service: HTTP routes, socket.io, database, Redis and background tasks."""
    registry = CollectorRegistry()
    http_metrics = system.HttpMetrics(registry)
    app = web.Application(
        middlewares=[http_metrics.middleware, error_middleware, input_middleware],
        client_max_size=settings.max_request_bytes,
    )
    app[SETTINGS] = settings
    app[CLOCK] = clock or clock_for(settings)  # CLOCK_OFFSET_DAYS on a staging copy
    app[METRICS] = registry
    app[SERVICES] = {}
    sio = create_server(settings)
    sio.attach(app)
    app[SIO] = sio
    app[NOTIFIER] = SocketIONotifier(sio)
    app[ROUTE_SPECS] = []
    app.cleanup_ctx.append(_database)
    if settings.redis_url:
        app.cleanup_ctx.append(_redis)
    app.router.add_routes(system.routes)
    for table in API_ROUTES:
        _add_api(app, table)
    for install in installers or default_installers():
        install(app)
    for index, context in enumerate(app.cleanup_ctx):
        if inspect.isasyncgenfunction(context):  # ours are all async generators
            app.cleanup_ctx[index] = _bounded_shutdown(context)
    return app


CleanupContext = Callable[[web.Application], AsyncIterator[None]]
SHUTDOWN_STEP_SECONDS = 10.0


def _bounded_shutdown(context: CleanupContext) -> CleanupContext:
    """The same resource, whose shutdown half may take at most SHUTDOWN_STEP_SECONDS: a step that
    hangs (a background loop waiting on a peer that is gone) is cancelled and named in the log
    instead of holding the whole process, and every later step, forever."""
    name = getattr(context, "__qualname__", repr(context))

    async def bounded(app: web.Application) -> AsyncIterator[None]:
        steps = context(app).__aiter__()
        await steps.__anext__()
        yield
        try:
            async with asyncio.timeout(SHUTDOWN_STEP_SECONDS):
                await steps.__anext__()
        except StopAsyncIteration:
            return
        except TimeoutError:
            log.error("shutdown_step_timeout", extra={"step": name, "seconds": SHUTDOWN_STEP_SECONDS})

    return bounded


def _add_api(app: web.Application, table: ApiRoutes) -> None:
    table.add_to(app)
    app[ROUTE_SPECS].extend(table.specs)


def default_installers() -> list[Installer]:
    """Feature modules that plug into the app (routes, namespaces, background tasks)."""
    return [
        install_router,
        _install_realtime,
        install_jobs,
        install_intake,
        install_portal,
        _install_voice,
        _install_console,
        _install_tramites,
        install_ops_metrics,
        install_retention,
    ]


def _install_tramites(app: web.Application) -> None:
    from contact_center.tramites.install import install_tramites  # the trámites catalogue

    install_tramites(app)


def _install_voice(app: web.Application) -> None:
    from channels.voice import install_voice  # the 195 line: IVR host, Twilio webhooks, Asterisk

    install_voice(app)


def _install_console(app: web.Application) -> None:
    from agents_ui.install import install_console  # the console imports the app's keys

    install_console(app)


def _install_realtime(app: web.Application) -> None:
    async def namespaces(app: web.Application) -> AsyncIterator[None]:
        register_namespaces(app[SIO], app[UOW])
        yield

    app.cleanup_ctx.append(namespaces)


async def _database(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    url = settings.effective_database_url
    if settings.is_sqlite:
        # The embedded default keeps itself at the newest schema; PostgreSQL is upgraded on purpose.
        await migrate.upgrade_async(url)
    engine = create_engine(url)
    app[ENGINE] = engine
    app[UOW] = UnitOfWorkFactory(session_factory(engine), app[NOTIFIER], app[CLOCK])
    log.info("database_ready", extra={"backend": engine.dialect.name})
    yield
    await engine.dispose()


async def _redis(app: web.Application) -> AsyncIterator[None]:
    url = app[SETTINGS].redis_url
    assert url is not None
    client: Redis = Redis.from_url(url, max_connections=REDIS_POOL_SIZE)
    app[REDIS] = client
    yield
    await client.aclose()


def run(settings: Settings, **kwargs: Any) -> None:
    app = create_app(settings)
    app.on_startup.append(_freeze_startup_heap)  # after every start-up context above
    log.info("serving", extra={"host": settings.host, "port": settings.port})
    web.run_app(app, host=settings.host, port=settings.port, print=None, **kwargs)


async def _freeze_startup_heap(app: web.Application) -> None:
    """Keep the objects of start-up (modules, mappers, compiled statements) out of the collector,
    and collect the young generations less often.

    A full collection walks every tracked object; with the ~170,000 of start-up plus 1,000
    connected chats it paused the loop for 0.5-0.7 s, the whole p99 of the chat benchmark.
    Frozen, they are never scanned again (they live as long as the process anyway). The objects
    of 1,000 connections still made full collections of 0.15-0.35 s under load: with larger
    thresholds the short-lived objects of a request die before a collection sees them, fewer are
    promoted, and a full collection becomes rare.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
