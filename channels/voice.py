"""Plugs the 195 line into the app: flows loaded at start-up, the IVR host, the Twilio webhooks,
the Asterisk adapters when configured, and the loop that dials queued callbacks.

A flow file with an error stops `create_app` with the file and node named, before any call is taken.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TypeVar

from aiohttp import web

from channels.twilio import webhooks as twilio_webhooks
from contact_center.core.http.keys import JOBS, SETTINGS, UOW
from contact_center.pqrd.services.attachments import AttachmentStore
from ivr.answers import IVR_LOOKUPS, ExtraLookup, HostAnswers
from ivr.callback_retry import CallbackOutcomes, RetryPolicy, due_retries
from ivr.callbacks import Dialer, dial_due_callbacks
from ivr.calls import CallsService
from ivr.control import CallControl
from ivr.flow import DEFAULT_FLOWS_DIR, load_flows
from ivr.host import IvrHost
from ivr.line import CALLS, VOICE_LINE, VoiceLine
from ivr.queueing import CallQueue
from ivr.router_queue import RouterCallQueue
from routing.keys import ROUTER
from routing.service import RouterService

log = logging.getLogger(__name__)
CALLBACK_ROUND_SECONDS = 2.0

T = TypeVar("T")
QueueFactory = Callable[[web.Application], CallQueue | None]


def router_queue(app: web.Application) -> CallQueue | None:
    """The router's queue (`routing.keys.ROUTER`); None on an app built without the router."""
    if ROUTER not in app:
        return None
    return RouterCallQueue(lambda: app[ROUTER])


def dialer_of(app: web.Application, provider: str) -> Dialer | None:
    """The callback dialer of the provider a call came through, if that provider is set up."""
    if provider == "asterisk":
        from channels.asterisk.install import asterisk_dialer

        return asterisk_dialer(app)
    from channels.twilio.install import twilio_dialer

    return twilio_dialer(app)


def control_of(app: web.Application, provider: str) -> CallControl | None:
    """The call control of a provider, if set up (the AMI link may come up after the line)."""
    if provider == "asterisk":
        from channels.asterisk.install import asterisk_control

        return asterisk_control(app)
    from channels.twilio.install import twilio_control

    return twilio_control(app)


def _router(app: web.Application) -> RouterService | None:
    return app.get(ROUTER)


# The first factory that answers wins.
QUEUE_FACTORIES: list[QueueFactory] = [router_queue]


def install_voice(app: web.Application, flows_dir: Path = DEFAULT_FLOWS_DIR) -> None:
    flows = load_flows(flows_dir)  # FlowValidationError names file and node: the start stops here
    twilio_webhooks.install(app)
    _add_voice_token_route(app)

    async def lifetime(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        queue = _first(QUEUE_FACTORIES, app)
        answers = HostAnswers(
            secret=settings.signing_key(),
            base_url=settings.base_url,
            store=AttachmentStore(settings.data_dir / "attachments"),
            extra=_extra_lookups(app),
        )
        policy = RetryPolicy(settings.callback_max_attempts, settings.callback_retry_delay_seconds)
        outcomes = CallbackOutcomes(policy, app.get(JOBS), queue)
        app[VOICE_LINE] = VoiceLine(IvrHost(flows, answers, queue), queue, outcomes)
        app[CALLS] = CallsService(lambda provider: control_of(app, provider), lambda: _router(app))
        task = None
        if queue is not None:
            task = asyncio.create_task(_dial_callbacks(app, queue, outcomes), name="ivr-callbacks")
        log.info("voice_line_ready", extra={"flows": sorted(flows), "router": queue is not None})
        yield
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app.cleanup_ctx.append(lifetime)
    from channels.asterisk.install import asterisk_lifetime

    app.cleanup_ctx.append(asterisk_lifetime)


def _add_voice_token_route(app: web.Application) -> None:
    from channels.twilio import voice_token
    from contact_center.core.http.api import ROUTE_SPECS

    voice_token.routes.add_to(app)
    if ROUTE_SPECS in app:  # the OpenAPI document lists it with the other declared routes
        app[ROUTE_SPECS].extend(voice_token.routes.specs)


def _extra_lookups(app: web.Application) -> dict[str, ExtraLookup]:
    """Lookups that features add to the host (the trámites catalogue's menu, for one)."""
    found: dict[str, ExtraLookup] | None = app.get(IVR_LOOKUPS)
    return found or {}


def _first(factories: list[Callable[[web.Application], T | None]], app: web.Application) -> T | None:
    for factory in factories:
        made = factory(app)
        if made is not None:
            return made
    return None


async def _dial_callbacks(app: web.Application, queue: CallQueue, outcomes: CallbackOutcomes) -> None:
    jobs, delay = app.get(JOBS), app[SETTINGS].callback_retry_delay_seconds
    while True:
        try:
            if jobs is not None:  # unanswered callbacks whose delay has passed (their job re-checks)
                async with app[UOW]() as uow:
                    await due_retries(uow, jobs, delay)
            await dial_due_callbacks(app[UOW], queue, lambda provider: dialer_of(app, provider), outcomes)
        except Exception:  # a database hiccup must not end the loop; the next round retries
            log.exception("ivr_callback_round_failed")
        await asyncio.sleep(CALLBACK_ROUND_SECONDS)
