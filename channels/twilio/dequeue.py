"""Take a queued Twilio call out of its queue the moment an official accepts it.

Without this the caller leaves the queue only when Twilio next fetches the waitUrl (`<Leave/>`),
after the whole current hold document: minutes of music after the official said yes. Instead the
line redirects the call through Twilio's REST API (`POST Calls/{sid}.json` with `Url`) to the
signed `queue-connect` hook, which dials the official; Twilio then reports the queue's end to the
Enqueue action as `redirected` (channels/twilio/queue_hooks.py). If the REST call fails, nothing is
lost: the next waitUrl fetch still answers `<Leave/>`.

Run after the acceptance is committed and outside any transaction: a slow Twilio must not hold
SQLite's single write lock (or a PostgreSQL row lock) while every other caller waits.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from channels.twilio.hooks import RENDERER
from channels.twilio.install import twilio_voice
from contact_center.core.db.models import Conversation
from contact_center.core.http.keys import UOW
from ivr.control import CallControlFailed
from ivr.line import VOICE_LINE
from ivr.providers import provider_of

log = logging.getLogger(__name__)
_RUNNING: set[asyncio.Task[bool]] = set()  # referenced until done (the loop keeps weak references)


def dequeue_soon(app: web.Application, conversation_id: int) -> None:
    """`dequeue_now` in the background: the official's acceptance is answered without waiting for
    Twilio (its REST API may be slow or out of reach)."""
    task = asyncio.create_task(dequeue_now(app, conversation_id), name=f"twilio-dequeue-{conversation_id}")
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)


async def dequeue_now(app: web.Application, conversation_id: int) -> bool:
    """Redirect the accepted call to `queue-connect`; True when Twilio took the change."""
    call_sid = await _waiting_twilio_call(app, conversation_id)
    voice = twilio_voice(app)
    if call_sid is None or voice is None:
        return False
    url = app[RENDERER].url("queue-connect")
    try:
        await voice.update(call_sid, url=url, method="POST")
    except CallControlFailed as exc:
        log.warning("twilio_dequeue_failed", extra={"conversation_id": conversation_id, "error": exc.details})
        return False
    log.info("twilio_dequeued", extra={"conversation_id": conversation_id})
    return True


async def _waiting_twilio_call(app: web.Application, conversation_id: int) -> str | None:
    """The CallSid of a call still waiting in a Twilio queue with an official assigned."""
    line = app.get(VOICE_LINE)
    if line is None or line.queue is None:
        return None
    async with app[UOW]() as uow:
        call = await uow.session.get(Conversation, conversation_id)
        if call is None or call.channel != "voice" or call.ended_at is not None:
            return None
        if provider_of(call) != "twilio" or call.state != "queued" or not call.external_id:
            return None
        if (call.flow_state or {}).get("callback"):  # the caller hung up: the callback dials them
            return None
        if await line.queue.assigned_official(uow, call.id) is None:
            return None
        return call.external_id
