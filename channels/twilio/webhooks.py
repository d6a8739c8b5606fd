"""Twilio voice webhooks under /channels/twilio/: verify, translate into IVR events, answer TwiML.

    voice          incoming call                 -> CallStarted
    gather?step=N  <Gather> action               -> Digits / NoInput
    record?step=N  <Record> action               -> RecordingDone / NoInput (files the PQRD once)
    queue-wait     <Enqueue waitUrl>             -> QueueUpdate (position, ETA) or <Leave/> when an
                                                    official accepted the offer
    queue-result   <Enqueue action>              -> AgentReady: <Dial><Client>official-N</Client>
    status         call status callback          -> the conversation ends (abandoned if waiting)
    recording      recording status callback     -> a call event, once per recording and status
    dial-result    <Dial action>                 -> a call event; the call ends
    callback-connect, callback-status            -> a queued callback's outgoing call
                                                    (channels/twilio/callback_hooks.py)

Every request must carry a valid `X-Twilio-Signature` (403 JSON otherwise). A retried webhook
(same CallSid and step) gets the same TwiML and changes nothing. Status callbacks for unknown calls
answer 204 and change nothing: a 5xx would only make Twilio retry.
"""

from __future__ import annotations

import logging

from aiohttp import web

from channels.twilio import callback_hooks
from channels.twilio.events import record_call_event
from channels.twilio.hooks import ENDED, RENDERER, SIGNATURE, Form, Hooks, xml_response
from channels.twilio.signature import SignatureCheck
from channels.twilio.twiml import TwimlRenderer
from contact_center.core.errors import InvalidInput
from contact_center.core.http.keys import SETTINGS
from contact_center.core.uow import UnitOfWork
from ivr.flow import (
    AgentReady,
    Digits,
    Event,
    NoInput,
    QueueUpdate,
    RecordingDone,
    UnexpectedEvent,
)
from ivr.host import CallTurn
from ivr.line import VoiceLine

log = logging.getLogger(__name__)
DEFAULT_ETA_SECONDS = 60
CONNECTING = "Le comunicamos con un funcionario."

twilio_hook = Hooks()


def install(app: web.Application) -> None:
    """Add the webhooks; the IVR host must be on the app under `VOICE_LINE` before requests come."""
    settings = app[SETTINGS]
    app[SIGNATURE] = SignatureCheck(settings.twilio_auth_token, settings.base_url)
    app[RENDERER] = TwimlRenderer(settings.base_url)
    app.router.add_routes(twilio_hook.routes)
    app.router.add_routes(callback_hooks.twilio_hook.routes)


def twiml(request: web.Request, turn: CallTurn) -> web.Response:
    xml = request.app[RENDERER].render(turn.actions, turn.step, finished=turn.finished)
    return xml_response(xml)


def _step(request: web.Request) -> int:
    raw = request.query.get("step", "")
    if not raw.isdigit():
        raise InvalidInput("Falta el paso de la llamada (step) o no es un número.", code="invalid_step")
    return int(raw)


def _call_sid(form: Form) -> str:
    sid = form.get("CallSid", "")
    if not sid:
        raise InvalidInput("Falta CallSid.", code="missing_call_sid")
    return sid


async def _send(
    request: web.Request, uow: UnitOfWork, line: VoiceLine, form: Form, event: Event, step: int | None
) -> web.Response:
    sid = _call_sid(form)
    try:
        turn = await line.host.send(uow, sid, event, step=step)
    except UnexpectedEvent as exc:
        # A signed request that does not fit the call (a late or crossed webhook): say again what
        # the caller should hear now instead of failing the call.
        log.warning("twilio_event_out_of_place", extra={"call_sid": sid, "error": exc.message})
        turn = await line.host.current(uow, sid)
    return twiml(request, turn)


@twilio_hook("voice")
async def voice(request: web.Request, uow: UnitOfWork, line: VoiceLine, form: Form) -> web.Response:
    caller = form.get("From") or None
    if caller in {"anonymous", "Anonymous", "+266696687"}:  # withheld caller id
        caller = None
    turn = await line.host.start(uow, _call_sid(form), caller, provider="twilio")
    return twiml(request, turn)


@twilio_hook("gather")
async def gather(request: web.Request, uow: UnitOfWork, line: VoiceLine, form: Form) -> web.Response:
    keys = form.get("Digits", "")
    event: Event = Digits(keys) if keys else NoInput()
    return await _send(request, uow, line, form, event, _step(request))


@twilio_hook("record")
async def record(request: web.Request, uow: UnitOfWork, line: VoiceLine, form: Form) -> web.Response:
    url, seconds = form.get("RecordingUrl", ""), form.get("RecordingDuration", "0")
    duration = int(seconds) if seconds.isdigit() else 0
    event: Event = RecordingDone(url, duration) if url and duration > 0 else NoInput()
    return await _send(request, uow, line, form, event, _step(request))


@twilio_hook("queue-wait")
async def queue_wait(request: web.Request, uow: UnitOfWork, line: VoiceLine, form: Form) -> web.Response:
    call = await line.host.require(uow, _call_sid(form))
    if line.queue is not None and await line.queue.assigned_official(uow, call.id) is not None:
        return xml_response(request.app[RENDERER].leave())
    spot = await line.queue.position(uow, call.id) if line.queue is not None else None
    waited = form.get("QueueTime", "")
    update = QueueUpdate(
        position=spot.position if spot else _int(form.get("QueuePosition"), 1),
        eta_seconds=(spot.eta_seconds if spot and spot.eta_seconds is not None else DEFAULT_ETA_SECONDS),
        waited_seconds=int(waited) if waited.isdigit() else None,
    )
    try:
        turn = await line.host.send(uow, call.external_id, update, step=None)
    except UnexpectedEvent:
        return xml_response(request.app[RENDERER].hold())
    return twiml(request, turn)


@twilio_hook("queue-result")
async def queue_result(request: web.Request, uow: UnitOfWork, line: VoiceLine, form: Form) -> web.Response:
    call = await line.host.require(uow, _call_sid(form))
    result = form.get("QueueResult", "")
    await record_call_event(uow, call.id, f"queue_{result or 'unknown'}", f"queue-result:{result}", form)
    official = await line.queue.assigned_official(uow, call.id) if line.queue is not None else None
    if result == "leave" and official is not None:
        try:
            return twiml(
                request, await line.host.send(uow, call.external_id, AgentReady(str(official)), step=None)
            )
        except UnexpectedEvent:  # the flow is past its queue: an official transferred the call here
            call.state, call.official_id = "active", official
            call.answered_at = call.answered_at or uow.clock.now()
            return xml_response(request.app[RENDERER].connect_official(official, CONNECTING))
    if result == "hangup":
        await line.host.hung_up(uow, call)
        return xml_response(request.app[RENDERER].render((), 0, finished=False))
    log.warning("twilio_queue_result", extra={"call_sid": call.external_id, "result": result})
    return twiml(request, await line.host.current(uow, call.external_id))


@twilio_hook("status")
async def status(request: web.Request, uow: UnitOfWork, line: VoiceLine, form: Form) -> web.Response:
    sid, call_status = form.get("CallSid", ""), form.get("CallStatus", "")
    call = await line.host.find(uow, sid) if sid else None
    if call is None:
        log.warning("twilio_status_unknown_call", extra={"call_sid": sid, "status": call_status})
        return web.Response(status=204)
    await record_call_event(uow, call.id, f"status_{call_status}", f"status:{call_status}", form)
    if call_status in ENDED:
        await line.host.hung_up(uow, call)
    return web.Response(status=204)


@twilio_hook("recording")
async def recording(request: web.Request, uow: UnitOfWork, line: VoiceLine, form: Form) -> web.Response:
    sid = form.get("CallSid", "")
    call = await line.host.find(uow, sid) if sid else None
    if call is None:
        log.warning("twilio_recording_unknown_call", extra={"call_sid": sid})
        return web.Response(status=204)
    key = f"recording:{form.get('RecordingSid', '')}:{form.get('RecordingStatus', '')}"
    await record_call_event(uow, call.id, f"recording_{form.get('RecordingStatus', 'unknown')}", key, form)
    return web.Response(status=204)


@twilio_hook("dial-result")
async def dial_result(request: web.Request, uow: UnitOfWork, line: VoiceLine, form: Form) -> web.Response:
    call = await line.host.require(uow, _call_sid(form))
    outcome = form.get("DialCallStatus", "")
    await record_call_event(uow, call.id, f"dial_{outcome or 'unknown'}", f"dial:{outcome}", form)
    return xml_response(request.app[RENDERER].render((), 0, finished=True))


def _int(value: str | None, default: int) -> int:
    return int(value) if value and value.isdigit() else default
