"""Twilio webhooks of a queued callback's outgoing call (placed by `channels.twilio.rest.TwilioDialer`).

    callback-connect?conversation=C&official=O   the citizen answered: dial the official who
                                                 accepted the callback's offer
    callback-status?conversation=C               the outgoing call's status: when it ends, the
                                                 official's work is done; unanswered, the
                                                 callback is retried later or closed
                                                 (ivr/callback_retry.py)

Both are signed like every Twilio webhook; the callback row must be `dialing` with this CallSid
and official, so a forged or stale request connects nobody. Both lock the callback row by the
conversation their URL names: a webhook that outruns the dialler's commit of this CallSid (Twilio
may report a quick `busy` before the line has stored its answer to the call's creation) waits for
that commit instead of finding no callback and losing the outcome.
"""

from __future__ import annotations

import logging

from aiohttp import web
from sqlalchemy import select

from channels.twilio.events import record_call_event
from channels.twilio.hooks import ENDED, RENDERER, Form, Hooks, xml_response
from contact_center.core.db.models import Conversation
from contact_center.core.uow import UnitOfWork
from ivr.line import VoiceLine
from ivr.models import VoiceCallback

log = logging.getLogger(__name__)
twilio_hook = Hooks()
GREETING = (
    "Le devolvemos la llamada de la Línea 195 de la Alcaldía de Pasto. Le comunicamos con un funcionario."
)
STALE = "Esta devolución de llamada ya no está vigente. Gracias por comunicarse con la Alcaldía de Pasto."


@twilio_hook("callback-connect")
async def callback_connect(
    request: web.Request, uow: UnitOfWork, line: VoiceLine, form: Form
) -> web.Response:
    conversation, official = request.query.get("conversation", ""), request.query.get("official", "")
    callback = await _callback(uow, form.get("CallSid", ""), conversation)
    valid = (
        callback is not None
        and str(callback.conversation_id) == conversation
        and str(callback.official_id) == official
    )
    if callback is None or not valid or callback.official_id is None:
        log.warning(
            "twilio_callback_stale", extra={"call_sid": form.get("CallSid"), "conversation": conversation}
        )
        return xml_response(request.app[RENDERER].say_and_hang_up(STALE))
    call = await uow.session.get(Conversation, callback.conversation_id, with_for_update=True)
    assert call is not None
    call.state, call.official_id, call.ended_at = "active", callback.official_id, None
    call.answered_at = call.answered_at or uow.clock.now()
    await record_call_event(
        uow, call.id, "callback_connected", f"callback-connect:{callback.provider_ref}", form
    )
    return xml_response(request.app[RENDERER].connect_official(callback.official_id, GREETING))


@twilio_hook("callback-status")
async def callback_status(request: web.Request, uow: UnitOfWork, line: VoiceLine, form: Form) -> web.Response:
    status = form.get("CallStatus", "")
    callback = await _callback(uow, form.get("CallSid", ""), request.query.get("conversation", ""))
    if callback is None:
        return web.Response(status=204)
    call = await uow.session.get(Conversation, callback.conversation_id, with_for_update=True)
    assert call is not None
    key = f"callback-status:{callback.provider_ref}:{status}"
    if not await record_call_event(uow, call.id, f"callback_{status}"[:40], key, form) or status not in ENDED:
        return web.Response(status=204)
    if not (status == "completed" and call.state == "active"):  # no-answer, busy, failed...
        if line.callbacks is not None:
            await line.callbacks.not_answered(uow, callback, status)
            return web.Response(status=204)
        callback.status, call.state, call.ended_at = "failed", "abandoned", uow.clock.now()
    else:
        callback.status, call.state, call.ended_at = "done", "closed", uow.clock.now()
    if line.queue is not None:  # the official is free again (their wrap-up starts)
        await line.queue.finish(uow, call.id)
    return web.Response(status=204)


async def _callback(uow: UnitOfWork, call_sid: str, conversation: str) -> VoiceCallback | None:
    """The callback whose outgoing call is `call_sid`, locked; by its conversation when the URL
    names one (calls placed before URLs did: by the CallSid alone)."""
    if not call_sid:
        return None
    which = (
        VoiceCallback.conversation_id == int(conversation)
        if conversation.isascii() and conversation.isdigit() and len(conversation) <= 18  # a row id
        else VoiceCallback.provider_ref == call_sid
    )
    found = await uow.session.scalar(select(VoiceCallback).where(which).with_for_update())
    return found if found is not None and found.provider_ref == call_sid else None
