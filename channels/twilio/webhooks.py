"""Twilio voice webhooks under /channels/twilio/: verify, translate into IVR events, answer TwiML.

    voice          incoming call                 -> CallStarted
    gather?step=N  <Gather> action               -> Digits / NoInput
    record?step=N  <Record> action               -> RecordingDone / NoInput (files the PQRD once)
    queue-wait     <Enqueue waitUrl>             -> QueueUpdate (position, ETA) or <Leave/> when an
                                                    official accepted the offer
    queue-result   <Enqueue action>              -> every QueueResult (channels/twilio/queue_hooks.py)
    queue-connect  a queued call redirected out  -> AgentReady at once when an official accepts
                   by the REST API               (channels/twilio/dequeue.py)
    status         call status callback          -> the conversation ends (abandoned if waiting)
    recording      recording status callback     -> a call event, once per recording and status
    dial-result    <Dial action>                 -> a call event; the call ends, or, when the
                                                    official did not pick up, the caller waits
                                                    again at their place (ivr/missed_dial.py)
    callback-connect, callback-status            -> a queued callback's outgoing call
                                                    (channels/twilio/callback_hooks.py)

Every request must carry a valid `X-Twilio-Signature` (403 JSON otherwise). A retried webhook
(same CallSid and step) gets the same TwiML and changes nothing. Status callbacks for unknown calls
answer 204 and change nothing: a 5xx would only make Twilio retry.
"""

from __future__ import annotations

import logging

from aiohttp import web

from channels.twilio import callback_hooks, queue_hooks
from channels.twilio.events import record_call_event
from channels.twilio.hooks import (
    ENDED,
    RENDERER,
    SIGNATURE,
    Form,
    Hooks,
    call_sid_of,
    twiml,
    xml_response,
)
from channels.twilio.signature import SignatureCheck
from channels.twilio.twiml import TwimlRenderer
from contact_center.core.db.models import Conversation
from contact_center.core.errors import InvalidInput
from contact_center.core.http.keys import SETTINGS
from contact_center.core.uow import UnitOfWork
from ivr.flow import (
    Digits,
    Event,
    NoInput,
    QueueUpdate,
    RecordingDone,
    UnexpectedEvent,
)
from ivr.flow.host_nodes import RECORDING
from ivr.line import VoiceLine
from ivr.missed_dial import back_in_queue
from ivr.waiting import announcement_due

log = logging.getLogger(__name__)
MISSED_DIAL = frozenset({"no-answer", "busy", "failed"})  # DialCallStatus: the official never spoke
DEFAULT_ETA_SECONDS = 60

twilio_hook = Hooks()


def install(app: web.Application) -> None:
    """Add the webhooks; the IVR host must be on the app under `VOICE_LINE` before requests come."""
    settings = app[SETTINGS]
    app[SIGNATURE] = SignatureCheck(settings.twilio_auth_token, settings.base_url)
    app[RENDERER] = TwimlRenderer(settings.base_url)
    app.router.add_routes(twilio_hook.routes)
    app.router.add_routes(callback_hooks.twilio_hook.routes)
    app.router.add_routes(queue_hooks.twilio_hook.routes)


def _step(request: web.Request) -> int:
    raw = request.query.get("step", "")
    if not raw.isdigit():
        raise InvalidInput("Falta el paso de la llamada (step) o no es un número.", code="invalid_step")
    return int(raw)


async def _send(
    request: web.Request,
    uow: UnitOfWork,
    line: VoiceLine,
    form: Form,
    event: Event,
    step: int | None,
    *,
    in_queue: bool = False,
) -> web.Response:
    sid = call_sid_of(form)
    try:
        turn = await line.host.send(uow, sid, event, step=step)
    except UnexpectedEvent as exc:
        # A signed request that does not fit the call (a late or crossed webhook): say again what
        # the caller should hear now instead of failing the call.
        log.warning("twilio_event_out_of_place", extra={"call_sid": sid, "error": exc.message})
        turn = await line.host.current(uow, sid)
    return twiml(request, turn, in_queue=in_queue)


@twilio_hook("voice")
async def voice(request: web.Request, uow: UnitOfWork, line: VoiceLine, form: Form) -> web.Response:
    caller = form.get("From") or None
    if caller in {"anonymous", "Anonymous", "+266696687"}:  # withheld caller id
        caller = None
    turn = await line.host.start(uow, call_sid_of(form), caller, provider="twilio")
    return twiml(request, turn)


@twilio_hook("gather")
async def gather(request: web.Request, uow: UnitOfWork, line: VoiceLine, form: Form) -> web.Response:
    keys = form.get("Digits", "")
    event: Event = Digits(keys) if keys else NoInput()
    # A Gather of a waitUrl document (the callback offer): its answer runs in the queue too.
    in_queue = request.query.get("in_queue") == "1"
    return await _send(request, uow, line, form, event, _step(request), in_queue=in_queue)


@twilio_hook("record")
async def record(request: web.Request, uow: UnitOfWork, line: VoiceLine, form: Form) -> web.Response:
    url, seconds = form.get("RecordingUrl", ""), form.get("RecordingDuration", "0")
    duration = int(seconds) if seconds.isdigit() else 0
    event: Event = RecordingDone(url, duration) if url and duration > 0 else NoInput()
    response = await _send(request, uow, line, form, event, _step(request))
    await _end_if_hung_up(uow, line, form)
    return response


@twilio_hook("queue-wait")
async def queue_wait(request: web.Request, uow: UnitOfWork, line: VoiceLine, form: Form) -> web.Response:
    call = await line.host.require(uow, call_sid_of(form))
    if line.queue is not None and await line.queue.assigned_official(uow, call.id) is not None:
        return xml_response(request.app[RENDERER].leave())
    waited = form.get("QueueTime", "")
    if not announcement_due(line.host, call, int(waited) if waited.isdigit() else None):
        return xml_response(request.app[RENDERER].hold())  # hold music until the next announcement is due
    spot = await line.queue.position(uow, call.id) if line.queue is not None else None
    update = QueueUpdate(
        position=spot.position if spot else _int(form.get("QueuePosition"), 1),
        eta_seconds=(spot.eta_seconds if spot and spot.eta_seconds is not None else DEFAULT_ETA_SECONDS),
        waited_seconds=int(waited) if waited.isdigit() else None,
    )
    try:
        turn = await line.host.send(uow, call.external_id, update, step=None)
    except UnexpectedEvent:
        return xml_response(request.app[RENDERER].hold())
    return twiml(request, turn, in_queue=True)


@twilio_hook("status")
async def status(request: web.Request, uow: UnitOfWork, line: VoiceLine, form: Form) -> web.Response:
    sid, call_status = form.get("CallSid", ""), form.get("CallStatus", "")
    call = await line.host.find(uow, sid) if sid else None
    if call is None:
        log.warning("twilio_status_unknown_call", extra={"call_sid": sid, "status": call_status})
        return web.Response(status=204)
    await record_call_event(uow, call.id, f"status_{call_status}", f"status:{call_status}", form)
    if call_status in ENDED and recording_pending(call):
        # Hung up while recording a verbal PQRD: the call is over, but the flow waits for the
        # recording (the Record action or the recording callback, whichever comes) to file it.
        await line.host.close(uow, call)
    elif call_status in ENDED:
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
    step, url = request.query.get("step", ""), form.get("RecordingUrl", "")
    seconds = form.get("RecordingDuration", "0")
    if form.get("RecordingStatus") == "completed" and call.ended_at is not None and step.isdigit() and url:
        # The caller hung up while recording and the Record action may never come: the recording
        # of that step is filed from here. Tagged with its step, so whichever of the two arrives
        # second is a replay and files nothing more.
        done: Event = (
            RecordingDone(url, int(seconds)) if seconds.isdigit() and int(seconds) > 0 else NoInput()
        )
        try:
            await line.host.send(uow, sid, done, step=int(step))
        except UnexpectedEvent:  # the flow already ended (a call from before this release)
            return web.Response(status=204)
        await _end_if_hung_up(uow, line, form)
    return web.Response(status=204)


async def _end_if_hung_up(uow: UnitOfWork, line: VoiceLine, form: Form) -> None:
    """After a recording was handled for a call that already ended: end its flow too."""
    call = await line.host.find(uow, form.get("CallSid", ""))
    if call is not None and call.ended_at is not None:
        await line.host.hung_up(uow, call)


@twilio_hook("dial-result")
async def dial_result(request: web.Request, uow: UnitOfWork, line: VoiceLine, form: Form) -> web.Response:
    call = await line.host.require(uow, call_sid_of(form))
    outcome = form.get("DialCallStatus", "")
    # One event per dial attempt (its DialCallSid): a call may be dialled to several officials.
    key = f"dial:{form.get('DialCallSid', '')}:{outcome}"
    if not await record_call_event(uow, call.id, f"dial_{outcome or 'unknown'}", key, form):
        return twiml(request, await line.host.current(uow, call.external_id))  # a retried request
    if outcome in MISSED_DIAL and call.ended_at is None:
        # The official did not pick up: the caller waits again at their place (ivr.missed_dial).
        return twiml(request, await back_in_queue(uow, line.host, line.queue, call))
    return xml_response(request.app[RENDERER].render((), 0, finished=True))


def recording_pending(call: Conversation) -> bool:
    """The caller is being recorded (a verbal PQRD) and the flow has not heard how it ended."""
    stored = (call.flow_state or {}).get("state") or {}
    return bool(stored.get("phase") == RECORDING and not stored.get("finished"))


def _int(value: str | None, default: int) -> int:
    return int(value) if value and value.isdigit() else default
