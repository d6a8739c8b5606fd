"""Twilio webhooks of a queued callback's outgoing call (placed by `channels.twilio.rest.TwilioDialer`).

    callback-connect?conversation=C&official=O   the citizen answered: dial the official who
                                                 accepted the callback's offer
    callback-dial-result?conversation=C          the dial to the official ended: `completed`
                                                 means they spoke; a missed dial counts as the
                                                 official's missed offer and the citizen hears
                                                 they will be called again
    callback-status?conversation=C               the outgoing call's status: when it ends after
                                                 the official and the citizen spoke, the work is
                                                 done; otherwise (unanswered, a machine, the
                                                 official missed) the callback is retried later
                                                 or closed (ivr/callback_retry.py)

The outgoing call runs Twilio's answering-machine detection (`MachineDetection=Enable`): a call
answered by a machine or a fax (`AnsweredBy`) is hung up without dialling the official.

Both are signed like every Twilio webhook; the callback row must be `dialing` with this CallSid
and official, so a forged or stale request connects nobody. Both lock the callback row by the
conversation their URL names. The dialler marks the callback `dialing` before asking Twilio and
stores the CallSid after Twilio's answer, with no transaction open in between; a webhook that
outruns that answer (Twilio may report a quick `busy` first) finds the callback `dialing` without
a CallSid and takes its own, so the outcome is not lost.
"""

from __future__ import annotations

import logging

from aiohttp import web
from sqlalchemy import select

from channels.twilio.events import record_call_event
from channels.twilio.hooks import ENDED, RENDERER, Form, Hooks, xml_response
from contact_center.core.db.models import CallEvent, Conversation
from contact_center.core.db.routing_models import WorkItem
from contact_center.core.uow import UnitOfWork
from ivr.line import VoiceLine
from ivr.models import VoiceCallback
from routing.missed_calls import mark_missed

log = logging.getLogger(__name__)
twilio_hook = Hooks()
DIAL_KEY = "callback-dial"  # call_events.dedup_key prefix of the official's dial results
GREETING = (
    "Le devolvemos la llamada de la Línea 195 de la Alcaldía de Pasto. Le comunicamos con un funcionario."
)
OFFICIAL_MISSED = (
    "En este momento no fue posible comunicarle con el funcionario. Le llamaremos de nuevo. Hasta pronto."
)
MACHINE = frozenset({"machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other", "fax"})
MISSED_DIAL = frozenset({"no-answer", "busy", "failed", "canceled"})
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
    if form.get("AnsweredBy", "") in MACHINE:  # voicemail or fax: nobody to speak to
        await record_call_event(
            uow, call.id, "callback_machine", f"callback-machine:{callback.provider_ref}", form
        )
        return xml_response(request.app[RENDERER].render((), 0, finished=True))
    call.state, call.official_id, call.ended_at = "active", callback.official_id, None
    call.answered_at = call.answered_at or uow.clock.now()
    await record_call_event(
        uow, call.id, "callback_connected", f"callback-connect:{callback.provider_ref}", form
    )
    renderer = request.app[RENDERER]
    action = renderer.url("callback-dial-result", conversation=call.id)
    return xml_response(renderer.connect_official(callback.official_id, GREETING, action=action))


@twilio_hook("callback-dial-result")
async def callback_dial_result(
    request: web.Request, uow: UnitOfWork, line: VoiceLine, form: Form
) -> web.Response:
    """The dial from the callback's leg to the official ended (its own result: the caller's line's
    `dial-result` knows calls by the citizen's CallSid, not by this outgoing one)."""
    renderer = request.app[RENDERER]
    callback = await _callback(uow, form.get("CallSid", ""), request.query.get("conversation", ""))
    if callback is None:
        return xml_response(renderer.render((), 0, finished=True))
    outcome = form.get("DialCallStatus", "")
    key = f"{DIAL_KEY}:{callback.provider_ref}:{outcome}"
    new = await record_call_event(uow, callback.conversation_id, f"callback_dial_{outcome}", key, form)
    if outcome in MISSED_DIAL and callback.status == "dialing":
        if new and callback.official_id is not None:
            await _official_missed(uow, line, callback.conversation_id, callback.official_id)
        return xml_response(renderer.say_and_hang_up(OFFICIAL_MISSED))
    return xml_response(renderer.render((), 0, finished=True))


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
    spoke = status == "completed" and call.state == "active" and await _spoke(uow, callback)
    if not spoke:  # no-answer, busy, failed, a machine, or the official never picked up
        if line.callbacks is not None:
            await line.callbacks.not_answered(uow, callback, status)
            return web.Response(status=204)
        callback.status, call.state, call.ended_at = "failed", "abandoned", uow.clock.now()
    else:
        callback.status, call.state, call.ended_at = "done", "closed", uow.clock.now()
    if line.queue is not None:  # the official is free again (their wrap-up starts)
        await line.queue.finish(uow, call.id)
    return web.Response(status=204)


async def _spoke(uow: UnitOfWork, callback: VoiceCallback) -> bool:
    """The official's dial from this outgoing call completed: the citizen and the official spoke."""
    key = f"{DIAL_KEY}:{callback.provider_ref}:completed"
    found = await uow.session.scalar(
        select(CallEvent.id).where(
            CallEvent.conversation_id == callback.conversation_id, CallEvent.dedup_key == key
        )
    )
    return found is not None


async def _official_missed(uow: UnitOfWork, line: VoiceLine, conversation_id: int, official_id: int) -> None:
    """The official who accepted the callback did not pick up: a missed offer for them (the work
    item itself is parked for the retry by the outgoing call's status, ivr.callback_retry)."""
    router = getattr(line.queue, "router", None)
    item = await uow.session.scalar(
        select(WorkItem).where(WorkItem.conversation_id == conversation_id, WorkItem.status == "assigned")
    )
    if router is not None and item is not None and item.official_id == official_id:
        await mark_missed(uow, router, item, official_id)


async def _callback(uow: UnitOfWork, call_sid: str, conversation: str) -> VoiceCallback | None:
    """The callback whose outgoing call is `call_sid`, locked; by its conversation when the URL
    names one (calls placed before URLs did: by the CallSid alone)."""
    if not call_sid:
        return None
    by_conversation = (
        conversation.isascii() and conversation.isdigit() and len(conversation) <= 18
    )  # a row id
    which = (
        VoiceCallback.conversation_id == int(conversation)
        if by_conversation
        else VoiceCallback.provider_ref == call_sid
    )
    found = await uow.session.scalar(select(VoiceCallback).where(which).with_for_update())
    if found is not None and found.provider_ref is None and found.status == "dialing" and by_conversation:
        # The call's first webhook outran Twilio's answer to its creation (the dialler stores the
        # SID after that answer, outside any transaction): the signed URL names this callback.
        found.provider_ref = call_sid
    return found if found is not None and found.provider_ref == call_sid else None
