"""Nodes that wait for the host: lookups, business hours, the queue and the verbal PQRD."""

from __future__ import annotations

from ivr.flow.actions import (
    CheckHours,
    Enqueue,
    FilePqrd,
    Lookup,
    OfferCallback,
    Play,
    Record,
    Say,
    Transfer,
)
from ivr.flow.errors import UnexpectedEvent
from ivr.flow.events import (
    AgentReady,
    CallbackAccepted,
    Digits,
    Event,
    HoursResult,
    LookupResult,
    PqrdFiled,
    QueueUpdate,
    RecordingDone,
)
from ivr.flow.run import CallRun, Next, Stop
from ivr.flow.schema import PQRD_TYPES, BusinessHoursNode, EnqueueNode, LookupNode, RecordNode
from ivr.flow.templates import spanish_date, spoken_wait

HostNode = LookupNode | BusinessHoursNode | EnqueueNode | RecordNode
OFFER_TIMEOUT_SECONDS = 5
FILING = "filing"
RECORDING = "recording"
_YES = frozenset({"si", "sí", "true", "1", "yes"})


def enter_host_node(node: HostNode, run: CallRun) -> Next:
    if isinstance(node, LookupNode):
        run.emit(Lookup(node.operation, {node.input: run.variables.get(node.input, "")}))
    elif isinstance(node, BusinessHoursNode):
        run.emit(CheckHours(node.schedule, node.queue))
    elif isinstance(node, EnqueueNode):
        run.say(node.prompt)
        run.hold_updates, run.callback_offered = 0, False
        run.emit(Enqueue(node.queue, node.announce_every, node.hold_music, node.callback_after))
    else:
        run.phase = RECORDING
        prompt = (Say(run.text(node.prompt)),)
        run.emit(Record(prompt, node.max_seconds, "#", _pqrd_type(node, run), _anonymous(node, run)))
    return Stop.WAIT


def react_host_node(node: HostNode, run: CallRun, event: Event) -> Next:
    match node, event:
        case LookupNode(), LookupResult():
            return _lookup_answered(node, run, event)
        case BusinessHoursNode(), HoursResult():
            if event.next_open is not None:
                run.variables["proxima_apertura"] = event.next_open
            return node.open if event.open else node.closed
        case EnqueueNode(), _:
            return _while_queued(node, run, event)
        case RecordNode(), PqrdFiled():
            run.variables[node.variable] = event.radicado
            if event.filed_on is not None:
                run.variables["fecha_radicacion"] = spanish_date(event.filed_on)
            run.clear_retries()
            return node.next
        case RecordNode(), _:
            return _recording_done(node, run, event)
    raise UnexpectedEvent(f"node '{run.node}' cannot take {type(event).__name__}")


def _lookup_answered(node: LookupNode, run: CallRun, event: LookupResult) -> Next:
    run.variables.update({str(name): str(value) for name, value in event.variables.items()})
    if event.found:
        run.clear_retries()
        return node.found
    if node.retries is not None and node.fallback is not None and run.fail() >= node.retries:
        run.clear_retries()
        return node.fallback
    return node.not_found


def _while_queued(node: EnqueueNode, run: CallRun, event: Event) -> Next:
    accepted = isinstance(event, CallbackAccepted) or (
        isinstance(event, Digits) and run.callback_offered and event.digits.strip() == node.callback_key
    )
    if accepted and node.callback_accepted is not None:
        return node.callback_accepted
    if isinstance(event, AgentReady):
        run.variables["funcionario"] = event.official_id
        run.say(node.connected_prompt)
        run.emit(Transfer("official", event.official_id))
        return Stop.END
    if isinstance(event, QueueUpdate):
        _announce_position(node, run, event)
    run.emit(Play(node.hold_music))  # stray keys or silence after an offer: keep holding
    return Stop.WAIT


def _announce_position(node: EnqueueNode, run: CallRun, update: QueueUpdate) -> None:
    run.hold_updates += 1
    run.variables["posicion"] = str(update.position)
    run.variables["espera"] = spoken_wait(update.eta_seconds)
    run.say(node.position_prompt)
    waited = update.waited_seconds
    if waited is None:
        waited = run.hold_updates * node.announce_every
    # Offered once per wait: repeating it every announcement would nag the caller.
    if node.callback_after is not None and not run.callback_offered and waited >= node.callback_after:
        run.callback_offered = True
        offer = (Say(run.text(node.callback_prompt)),)
        run.emit(OfferCallback(offer, node.callback_key, OFFER_TIMEOUT_SECONDS))


def _recording_done(node: RecordNode, run: CallRun, event: Event) -> Next:
    if isinstance(event, RecordingDone) and event.url and event.duration_seconds >= node.min_seconds:
        anonymous = _anonymous(node, run)
        run.variables["grabacion"] = event.url
        caller = None if anonymous else run.variables.get("caller") or None
        subject = None if node.subject is None else run.text(node.subject)
        pqrd_type = _pqrd_type(node, run)
        run.emit(FilePqrd(pqrd_type, anonymous, event.url, event.duration_seconds, caller, subject))
        run.phase = FILING
        return Stop.WAIT
    if run.fail() >= node.retries:
        run.clear_retries()
        return node.fallback
    run.say(node.on_no_input)
    return enter_host_node(node, run)


def _pqrd_type(node: RecordNode, run: CallRun) -> str:
    pqrd_type = run.text(node.pqrd_type).strip()
    # A phone petition is a legal petition whatever the menu said: file it as the default type.
    return pqrd_type if pqrd_type in PQRD_TYPES else "peticion"


def _anonymous(node: RecordNode, run: CallRun) -> bool:
    if isinstance(node.anonymous, bool):
        return node.anonymous
    return run.text(node.anonymous).strip().lower() in _YES
