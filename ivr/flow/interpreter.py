"""The IVR interpreter: a pure state machine, `advance(flow, state, event) -> Advance`.

It does no I/O. Each event moves the call through nodes that need nothing from anyone (say,
play, set...) until it reaches a node that waits (for keys, a recording, the host's answer, an
official) or ends the call. The host persists `Advance.state`, renders `Advance.actions` and logs
`Advance.transitions`.
"""

from __future__ import annotations

from typing import assert_never

from ivr.flow import catalog_nodes
from ivr.flow.actions import Hangup, Play, SayDigits, Transfer
from ivr.flow.catalog_menu import CatalogMenuNode
from ivr.flow.errors import UnexpectedEvent
from ivr.flow.events import (
    AgentReady,
    CallbackAccepted,
    CallerHangup,
    CallStarted,
    Digits,
    Event,
    HoursResult,
    LookupResult,
    NoInput,
    PqrdFiled,
    QueueUpdate,
    RecordingDone,
)
from ivr.flow.host_nodes import FILING, enter_host_node, react_host_node
from ivr.flow.keypad import enter_keypad, react_keypad
from ivr.flow.run import CallRun, Next, Stop
from ivr.flow.schema import (
    BusinessHoursNode,
    CallbackNode,
    CollectNode,
    EnqueueNode,
    Flow,
    HangupNode,
    LookupNode,
    MenuNode,
    Node,
    PlayNode,
    RecordNode,
    SayDigitsNode,
    SayNode,
    SetNode,
    TransferNode,
)
from ivr.flow.state import Advance, FlowState
from ivr.flow.templates import digits_only

# A validated flow has no loop without a waiting node, so this only guards flows built by hand.
MAX_HOPS_PER_EVENT = 100


def new_call(flow: Flow) -> FlowState:
    """The state of a call that has not started; its first event must be `CallStarted`."""
    return FlowState(flow_id=flow.id, node=flow.start)


def advance(flow: Flow, state: FlowState, event: Event, *, step: int | None = None) -> Advance:
    """Apply one event. `step` is the `state.step` the event answers (what the adapter rendered).

    An event for an older step is a replay (a retried webhook): nothing changes, and the actions that
    put the call where it is now are returned again with `replayed=True`. An event for a future
    step, or one the current node cannot take, raises `UnexpectedEvent`.
    Without `step`, the event applies to the current state.
    """
    if state.flow_id != flow.id:
        raise UnexpectedEvent(f"the call runs flow '{state.flow_id}', not '{flow.id}'")
    if step is not None and step < state.step:
        return Advance(state, state.last_actions, (), replayed=True)
    if step is not None and step > state.step:
        raise UnexpectedEvent(f"event for step {step}, but the call is at step {state.step}")
    run = CallRun.resume(flow, state)
    _apply(run, event)
    new_state = run.freeze()
    return Advance(new_state, new_state.last_actions, tuple(run.transitions))


def expected_events(flow: Flow, state: FlowState) -> tuple[type[Event], ...]:
    """The event types the call can take now; `CallerHangup` is always accepted."""
    if state.finished:
        return (CallerHangup,)
    if not state.started:
        return (CallStarted, CallerHangup)
    return (*_waiting_for(flow.nodes[state.node], state.phase), CallerHangup)


def _waiting_for(node: Node, phase: str) -> tuple[type[Event], ...]:
    match node:
        case MenuNode() | CollectNode() | CallbackNode():
            return (Digits, NoInput)
        case LookupNode():
            return (LookupResult,)
        case BusinessHoursNode():
            return (HoursResult,)
        case EnqueueNode():
            callback = (CallbackAccepted,) if node.callback_accepted is not None else ()
            return (QueueUpdate, AgentReady, Digits, NoInput, *callback)
        case RecordNode():
            return (PqrdFiled,) if phase == FILING else (RecordingDone, NoInput)
        case CatalogMenuNode():
            return catalog_nodes.waiting_for(phase)
    return ()


def _apply(run: CallRun, event: Event) -> None:
    cause = type(event).__name__
    if isinstance(event, CallerHangup):
        if not run.finished:
            run.end(cause)
        return
    if run.finished:
        raise UnexpectedEvent(f"the call already ended; {cause} arrived at step {run.step - 1}")
    if not run.started:
        if not isinstance(event, CallStarted):
            raise UnexpectedEvent(f"a call starts with CallStarted, not {cause}")
        run.variables["caller"] = event.caller or ""
        _follow(run, run.flow.start, cause)
        return
    node = run.flow.nodes[run.node]
    if not isinstance(event, _waiting_for(node, run.phase)):
        raise UnexpectedEvent(f"node '{run.node}' ({node.type}) cannot take {cause}")
    _follow(run, _react(node, run, event), cause)


def _follow(run: CallRun, target: Next, cause: str) -> None:
    """Move to `target` and on through nodes needing no event, until one waits or the call ends."""
    hops = 0
    while isinstance(target, str):
        hops += 1
        if hops > MAX_HOPS_PER_EVENT:
            raise UnexpectedEvent(f"node '{target}': more than {MAX_HOPS_PER_EVENT} hops at once")
        run.move(target, cause)
        target = _enter(run.flow.nodes[target], run)
        cause = "next"
    if target is Stop.END:
        run.end(cause)


def _react(node: Node, run: CallRun, event: Event) -> Next:
    match node:
        case MenuNode() | CollectNode() | CallbackNode():
            return react_keypad(node, run, event)
        case LookupNode() | BusinessHoursNode() | EnqueueNode() | RecordNode():
            return react_host_node(node, run, event)
        case CatalogMenuNode():
            return catalog_nodes.react(node, run, event)
    raise UnexpectedEvent(f"node '{run.node}' ({node.type}) never waits for an event")


def _enter(node: Node, run: CallRun) -> Next:
    match node:
        case SayNode():
            run.say(node.text)
            return node.next
        case PlayNode():
            run.emit(Play(node.sound, None if node.text is None else run.text(node.text)))
            return node.next
        case SetNode():
            run.assign(node.variables)
            return node.next
        case SayDigitsNode():
            run.say(node.prompt)
            run.emit(SayDigits(digits_only(run.variables.get(node.variable, ""))))
            return node.next
        case MenuNode() | CollectNode() | CallbackNode():
            return enter_keypad(node, run)
        case LookupNode() | BusinessHoursNode() | EnqueueNode() | RecordNode():
            return enter_host_node(node, run)
        case TransferNode():
            run.say(node.prompt)
            if node.official is not None:
                run.emit(Transfer("official", node.official))
            elif node.queue is not None:
                run.emit(Transfer("queue", node.queue))
            return Stop.END
        case HangupNode():
            run.say(node.prompt)
            run.emit(Hangup())
            return Stop.END
        case CatalogMenuNode():
            return catalog_nodes.enter(node, run)
        case _:
            assert_never(node)
