"""The channel-neutral IVR host: one conversation per call, the flow's place persisted per step.

Adapters (Twilio webhooks, the Asterisk FastAGI runner) translate provider callbacks into flow
events and call `IvrHost`; the host loads the call's `FlowState` from its conversation row (locked),
advances the pure interpreter, answers host requests (`Lookup`, `CheckHours`, `FilePqrd`) with the
services, performs the side effects of `Enqueue`, `ScheduleCallback` and `Transfer`, stores the new
state with what it rendered, logs the transitions, and hands back the actions to render. The caller
commits; a restart between two webhooks loses nothing because the place lives in the database.

A retried webhook (an event for an older step) changes nothing and gets back exactly the actions
rendered the first time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select

from contact_center.core.db.models import CitizenIdentity, Conversation
from contact_center.core.errors import NotFound
from contact_center.core.uow import UnitOfWork
from ivr.answers import HostAnswers
from ivr.call_rows import caller_phone, insert_call
from ivr.callbacks import request_callback
from ivr.flow import (
    ACTIONS_JSON,
    DEFAULT_FLOW_ID,
    Action,
    Advance,
    CallerHangup,
    CallStarted,
    CheckHours,
    Enqueue,
    Event,
    FilePqrd,
    Flow,
    FlowState,
    Lookup,
    ScheduleCallback,
    Transfer,
    Transition,
    advance,
    new_call,
)
from ivr.providers import distributor
from ivr.queueing import CallQueue

log = logging.getLogger(__name__)

VOICE = "voice"
Request = Lookup | CheckHours | FilePqrd
_NEEDS_ROW = (Enqueue, ScheduleCallback, Transfer)  # a first turn with these takes the ORM path


@dataclass(frozen=True)
class CallTurn:
    """What to render now: `actions` (no host requests left) tagged with the call's `step`."""

    conversation_id: int
    step: int
    actions: tuple[Action, ...]
    finished: bool
    replayed: bool = False
    node: str = ""


# Built once: every webhook runs it, and building the statement costs about as much as running it.
_FIND_CALL = (
    select(Conversation)
    .where(Conversation.channel == VOICE, Conversation.external_id == bindparam("external_id"))
    .with_for_update()  # one webhook of a call at a time: steps apply in order
)
_CITIZEN_BY_PHONE = select(CitizenIdentity.citizen_id).where(
    CitizenIdentity.kind == "phone", CitizenIdentity.value == bindparam("phone")
)


class UnknownCall(NotFound):
    code = "unknown_call"


class IvrHost:
    """Runs the flows for every voice call, whatever the provider."""

    def __init__(
        self,
        flows: dict[str, Flow],
        answers: HostAnswers,
        queue: CallQueue | None,
        *,
        flow_id: str = DEFAULT_FLOW_ID,
    ) -> None:
        if flow_id not in flows:
            raise ValueError(f"IVR flow '{flow_id}' is not among the loaded flows {sorted(flows)}")
        self.flows = flows
        self.answers = answers
        self.queue = queue
        self.flow_id = flow_id

    # -- the call's lifecycle -------------------------------------------------------------------
    async def start(
        self,
        uow: UnitOfWork,
        external_id: str,
        caller: str | None,
        *,
        provider: str,
        channel: str | None = None,
    ) -> CallTurn:
        """A new call (or the retried first webhook of one): create its conversation and greet.

        `channel` is the provider's name of the caller's leg (Asterisk), kept for call control.
        """
        flow = self.flows[self.flow_id]
        provider_state: dict[str, Any] = {"provider": provider, **({"channel": channel} if channel else {})}
        topic = f"Línea 195 ({provider})"
        opening = await self._opening(uow, flow, caller)
        if opening is None:  # the first turn queues or files: it needs the row (and its id) first
            turn = await self._start_with_row(uow, flow, external_id, caller, provider_state, topic)
            log.info(
                "ivr_call_started", extra={"conversation_id": turn.conversation_id, "provider": provider}
            )
            return turn
        result, rendered = opening
        call_id = await insert_call(
            uow,
            channel=VOICE,
            external_id=external_id,
            caller=caller,
            topic=topic,
            flow_state={**provider_state, **_stored(result.state, rendered)},
            started_at=uow.clock.now(),
        )
        if call_id is None:  # a retried first webhook, or the AMI mirror saw the call first
            call = await self.require(uow, external_id)
            if _has_flow(call):  # a retried first webhook: answer what it heard
                return _stored_turn(call, replayed=True)
            await _adopt(uow, call, caller, provider_state)
            _store(call, result.state, rendered)
            call_id = call.id
        for move in result.transitions:
            _log_transition(call_id, move)
        log.info("ivr_call_started", extra={"conversation_id": call_id, "provider": provider})
        state = result.state
        return CallTurn(call_id, state.step, rendered, state.finished, False, state.node)

    async def _opening(
        self, uow: UnitOfWork, flow: Flow, caller: str | None
    ) -> tuple[Advance, tuple[Action, ...]] | None:
        """The first turn run in memory, answering lookups and the hours check; None when it
        reaches an action that needs the call's row (queue, callback, transfer, filing)."""
        result = advance(flow, new_call(flow), CallStarted(caller))
        transitions = list(result.transitions)
        rendered: list[Action] = []
        while True:
            if any(isinstance(a, _NEEDS_ROW) for a in result.actions):
                return None
            rendered += [a for a in result.actions if not isinstance(a, Request)]
            request = next((a for a in result.actions if isinstance(a, Request)), None)
            if request is None:
                break
            if isinstance(request, Lookup):
                answer: Event = await self.answers.lookup(uow, request)
            elif isinstance(request, CheckHours):
                answer = await self.answers.check_hours(uow, request)
            else:  # filing needs the row
                return None
            result = advance(flow, result.state, answer)
            transitions += result.transitions
        return Advance(result.state, result.actions, tuple(transitions)), tuple(rendered)

    async def _start_with_row(
        self,
        uow: UnitOfWork,
        flow: Flow,
        external_id: str,
        caller: str | None,
        provider_state: dict[str, Any],
        topic: str,
    ) -> CallTurn:
        call = await self.find(uow, external_id)
        if call is not None and _has_flow(call):
            return _stored_turn(call, replayed=True)
        if call is not None:  # the AMI mirror created it from the call's first channel: join it
            await _adopt(uow, call, caller, provider_state)
            return await self._run(uow, call, flow, new_call(flow), CallStarted(caller), None)
        call = Conversation(
            channel=VOICE,
            external_id=external_id,
            state="open",
            citizen_id=await _citizen_by_phone(uow, caller),
            topic=topic,
            started_at=uow.clock.now(),
            flow_state=provider_state,
        )
        uow.session.add(call)
        return await self._run(uow, call, flow, new_call(flow), CallStarted(caller), None)

    async def send(self, uow: UnitOfWork, external_id: str, event: Event, *, step: int | None) -> CallTurn:
        """Apply one caller or queue event; `step` is what the adapter rendered (None: current)."""
        call = await self.require(uow, external_id)
        state = _state(call)
        return await self._run(uow, call, self.flows[state.flow_id], state, event, step)

    async def current(self, uow: UnitOfWork, external_id: str) -> CallTurn:
        """The last rendered actions again (a provider asking what to do without news)."""
        return _stored_turn(await self.require(uow, external_id), replayed=True)

    async def hung_up(self, uow: UnitOfWork, call: Conversation) -> None:
        """The caller hung up: end the flow, close the conversation, leave the queue.

        A call waiting for a callback stays queued: the caller asked to keep their turn.
        """
        state = _state(call)
        if not state.finished:
            await self._run(uow, call, self.flows[state.flow_id], state, CallerHangup(), None)
        await self.close(uow, call)

    async def close(self, uow: UnitOfWork, call: Conversation) -> None:
        if call.ended_at is not None:
            return
        waiting = call.state == "queued"
        callback = (call.flow_state or {}).get("callback", False)
        call.ended_at = uow.clock.now()
        if waiting and not callback:
            call.state = "abandoned"
            if self.queue is not None:
                await self.queue.abandon(uow, call.id)
        elif not callback:
            call.state = "wrap_up" if call.state == "wrap_up" else "closed"
            if self.queue is not None:  # the official's capacity is free again, wrap-up starts
                await self.queue.finish(uow, call.id)
        log.info("ivr_call_ended", extra={"conversation_id": call.id, "state": call.state})

    # -- lookups --------------------------------------------------------------------------------
    async def find(self, uow: UnitOfWork, external_id: str) -> Conversation | None:
        found: Conversation | None = (
            await uow.session.scalars(_FIND_CALL, {"external_id": external_id})
        ).first()
        return found

    async def require(self, uow: UnitOfWork, external_id: str) -> Conversation:
        call = await self.find(uow, external_id)
        if call is None:
            raise UnknownCall("La llamada no existe.", external_id=external_id)
        return call

    # -- one event, with every host request it leads to ------------------------------------------
    async def _run(
        self,
        uow: UnitOfWork,
        call: Conversation,
        flow: Flow,
        state: FlowState,
        event: Event,
        step: int | None,
    ) -> CallTurn:
        result = advance(flow, state, event, step=step)
        if result.replayed:
            return _stored_turn(call, replayed=True)
        rendered: list[Action] = []
        while True:
            _log_transitions(call, result)
            rendered += [a for a in result.actions if not isinstance(a, Request)]
            await self._side_effects(uow, call, result.actions)
            request = next((a for a in result.actions if isinstance(a, Request)), None)
            if request is None:
                break
            answer = await self._answer(uow, call, request, result.state.step)
            result = advance(flow, result.state, answer)
        _store(call, result.state, tuple(rendered))
        await _ensure_id(uow, call)
        state = result.state
        return CallTurn(call.id, state.step, tuple(rendered), state.finished, False, state.node)

    async def _answer(self, uow: UnitOfWork, call: Conversation, request: Request, step: int) -> Event:
        if isinstance(request, Lookup):
            return await self.answers.lookup(uow, request)
        if isinstance(request, CheckHours):
            return await self.answers.check_hours(uow, request)
        await _ensure_id(uow, call)
        return await self.answers.file(uow, call, request, step)

    async def _side_effects(self, uow: UnitOfWork, call: Conversation, actions: tuple[Action, ...]) -> None:
        if any(isinstance(a, Enqueue | ScheduleCallback | Transfer) for a in actions):
            await _ensure_id(uow, call)
        for action in actions:
            if isinstance(action, Enqueue):
                call.state = "queued"
                if self.queue is not None:
                    await self.queue.enqueue(uow, call.id, action.queue, distributor=distributor(call))
            elif isinstance(action, ScheduleCallback):
                await request_callback(uow, call, action.queue, action.number)
                if self.queue is not None:
                    await self.queue.keep_for_callback(uow, call.id, action.number)
                call.flow_state = {**(call.flow_state or {}), "callback": True}
            elif isinstance(action, Transfer) and action.target_kind == "official":
                call.state = "active"
                call.official_id = int(action.target) if action.target.isdigit() else call.official_id
                call.answered_at = call.answered_at or uow.clock.now()
            elif isinstance(action, Transfer) and self.queue is not None:
                call.state = "queued"
                await self.queue.enqueue(uow, call.id, action.target, distributor=distributor(call))


async def _ensure_id(uow: UnitOfWork, call: Conversation) -> None:
    if call.id is None:  # a new call's row, inserted only when something needs its id
        await uow.session.flush()


def _has_flow(call: Conversation) -> bool:
    """Whether the IVR already runs this call (the AMI mirror's row has no flow state yet)."""
    return "state" in (call.flow_state or {})


async def _adopt(uow: UnitOfWork, call: Conversation, caller: str | None, provider: dict[str, Any]) -> None:
    """The IVR takes over a conversation the AMI mirror created first (it sees `Newchannel` before
    FastAGI starts): whichever sees the call first creates the row, the other joins it."""
    call.flow_state = {**provider, **(call.flow_state or {})}
    if call.citizen_id is None:
        call.citizen_id = await _citizen_by_phone(uow, caller)


def _state(call: Conversation) -> FlowState:
    stored = call.flow_state or {}
    return FlowState.model_validate(stored["state"])


def _store(call: Conversation, state: FlowState, rendered: tuple[Action, ...]) -> None:
    call.flow_state = {**(call.flow_state or {}), **_stored(state, rendered)}


def _stored(state: FlowState, rendered: tuple[Action, ...]) -> dict[str, Any]:
    """The flow state's keys that hold the call's place and what it last heard."""
    return {
        "state": state.model_dump(mode="json"),
        "rendered": ACTIONS_JSON.dump_python(rendered, mode="json"),
    }


def _stored_turn(call: Conversation, *, replayed: bool = False) -> CallTurn:
    stored: dict[str, Any] = call.flow_state or {}
    state = FlowState.model_validate(stored["state"])
    actions = ACTIONS_JSON.validate_python(stored.get("rendered", []))
    return CallTurn(call.id, state.step, actions, state.finished, replayed, state.node)


def _log_transitions(call: Conversation, result: Advance) -> None:
    for move in result.transitions:
        _log_transition(call.id, move)


def _log_transition(call_id: int | None, move: Transition) -> None:
    if not log.isEnabledFor(logging.INFO):  # the extra dict costs more than the disabled call
        return
    extra = {"conversation_id": call_id, "step": move.step, "from": move.from_node, "to": move.to_node}
    log.info("ivr_transition", extra={**extra, "cause": move.cause})


async def _citizen_by_phone(uow: UnitOfWork, caller: str | None) -> int | None:
    """The citizen who owns this number already, if any (the same person across channels)."""
    phone = caller_phone(caller)
    if phone is None:
        return None
    citizen_id: int | None = await uow.session.scalar(_CITIZEN_BY_PHONE, {"phone": phone})
    return citizen_id
