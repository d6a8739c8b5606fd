"""How a call leaves a Twilio queue: the `<Enqueue>` action (every documented `QueueResult`) and
`queue-connect`, the document a queued call is redirected to when an official accepts it.

    leave          <Leave/> from a wait document: to the official who accepted (AgentReady), or,
                   with nobody assigned, the turn that needed the caller out of the queue
    redirected     the REST API took the call out (channels/twilio/dequeue.py, call controls): it
                   runs the document it was redirected to; this answer is not executed
    bridged        dequeued by a <Dial><Queue> (the line never does): the call ends
    hangup         the caller hung up while waiting: an abandonment
    queue-full     Twilio's queue is at its size limit: the caller is told and the call ends
    error,         Twilio could not queue the call: queued once more, then the caller is told
    system-error   and the call ends
"""

from __future__ import annotations

import logging

from aiohttp import web
from sqlalchemy import func, select

from channels.twilio.events import record_call_event
from channels.twilio.hooks import RENDERER, Form, Hooks, call_sid_of, twiml, xml_response
from contact_center.core.db.models import CallEvent, Conversation
from contact_center.core.uow import UnitOfWork
from ivr.flow import AgentReady, UnexpectedEvent
from ivr.line import VoiceLine
from ivr.missed_dial import queue_of

log = logging.getLogger(__name__)
twilio_hook = Hooks()
CONNECTING = "Le comunicamos con un funcionario."
QUEUE_FULL = (
    "En este momento todas nuestras líneas están ocupadas. Por favor llame más tarde. "
    "Gracias por comunicarse con la Alcaldía de Pasto."
)
RETRYING = "Un momento, por favor."
FAILED = "No fue posible atender su llamada en este momento. Por favor llame más tarde."
ERRORS = ("error", "system-error")
MAX_ENQUEUE_ERRORS = 2  # the first failed enqueue is tried again; the second ends the call
QUEUE_FULL_CODE = "cola_llena"


@twilio_hook("queue-result")
async def queue_result(request: web.Request, uow: UnitOfWork, line: VoiceLine, form: Form) -> web.Response:
    call = await line.host.require(uow, call_sid_of(form))
    result = form.get("QueueResult", "")
    step = ((call.flow_state or {}).get("state") or {}).get("step", 0)
    # Errors are counted (each one is an attempt); other results are kept once per turn.
    suffix = f":{await _failures(uow, call.id)}" if result in ERRORS else ""
    key = f"queue-result:{result}:{step}{suffix}"
    await record_call_event(uow, call.id, f"queue_{result or 'unknown'}", key, form)
    renderer = request.app[RENDERER]
    match result:
        case "leave":
            official = await line.queue.assigned_official(uow, call.id) if line.queue is not None else None
            if official is not None:
                return await _connect(request, uow, line, call, official)
            return twiml(request, await line.host.current(uow, call.external_id))
        case "redirected" | "bridging-in-process":
            return xml_response(renderer.render((), 0, finished=False))  # an empty document, never run
        case "bridged":
            return xml_response(renderer.render((), 0, finished=True))
        case "hangup":
            await line.host.hung_up(uow, call)
            return xml_response(renderer.render((), 0, finished=False))
        case "queue-full":
            await line.host.hung_up(uow, call)
            call.wrap_up_code = call.wrap_up_code or QUEUE_FULL_CODE
            return xml_response(renderer.say_and_hang_up(QUEUE_FULL))
        case "error" | "system-error":
            return await _enqueue_failed(request, uow, line, call)
    log.warning("twilio_queue_result_unknown", extra={"call_sid": call.external_id, "result": result})
    return twiml(request, await line.host.current(uow, call.external_id))


@twilio_hook("queue-connect")
async def queue_connect(request: web.Request, uow: UnitOfWork, line: VoiceLine, form: Form) -> web.Response:
    """A queued call the REST API redirected here as soon as an official accepted it."""
    call = await line.host.require(uow, call_sid_of(form))
    official = await line.queue.assigned_official(uow, call.id) if line.queue is not None else None
    if call.ended_at is not None:
        return xml_response(request.app[RENDERER].render((), 0, finished=True))
    if official is None:  # the acceptance was undone meanwhile: back to wait (the router kept the place)
        queue = await queue_of(uow, call.id)
        if queue is None:
            return twiml(request, await line.host.current(uow, call.external_id))
        return xml_response(request.app[RENDERER].enqueue_only(queue))
    return await _connect(request, uow, line, call, official)


async def _connect(
    request: web.Request, uow: UnitOfWork, line: VoiceLine, call: Conversation, official: int
) -> web.Response:
    try:
        return twiml(
            request, await line.host.send(uow, call.external_id, AgentReady(str(official)), step=None)
        )
    except UnexpectedEvent:  # the flow is past its queue: an official transferred the call here
        if call.state == "active" and call.official_id == official:  # a retried request
            return twiml(request, await line.host.current(uow, call.external_id))
        call.state, call.official_id = "active", official
        call.answered_at = call.answered_at or uow.clock.now()
        return xml_response(request.app[RENDERER].connect_official(official, CONNECTING))


async def _enqueue_failed(
    request: web.Request, uow: UnitOfWork, line: VoiceLine, call: Conversation
) -> web.Response:
    failures = await _failures(uow, call.id)
    queue = await queue_of(uow, call.id)
    renderer = request.app[RENDERER]
    log.warning("twilio_enqueue_failed", extra={"call_sid": call.external_id, "failures": failures})
    if queue is not None and failures < MAX_ENQUEUE_ERRORS:
        return xml_response(renderer.enqueue_only(queue, RETRYING))
    await line.host.hung_up(uow, call)
    return xml_response(renderer.say_and_hang_up(FAILED))


async def _failures(uow: UnitOfWork, conversation_id: int) -> int:
    count = await uow.session.scalar(
        select(func.count(CallEvent.id)).where(
            CallEvent.conversation_id == conversation_id, CallEvent.kind.in_([f"queue_{e}" for e in ERRORS])
        )
    )
    return int(count or 0)
