"""The Línea 195 flows over FastAGI: the same IVR host as Twilio, rendered as AGI commands.

    Say          STREAM FILE of a recorded es-CO prompt when `prompts` maps the text, else the TTS
                 application (`EXEC Festival "..."` by default: a placeholder until the city records
                 every prompt)
    Play         STREAM FILE of the sound (its mapped file, or pasto195/<sound>)
    SayDigits    SAY DIGITS
    Gather       prompts (interruptible), then GET DATA for the remaining keys
    OfferCallback the prompt, then one key (GET DATA, 1 digit)
    Record       EXEC Record to the spool; the file path is the recording's URL
    Enqueue      EXEC Queue with a timeout of `announce_every` seconds: each return announces the
                 position (QueueUpdate); a member who answered ends the wait (AgentReady)
    Transfer     EXEC Dial (an official) or EXEC Queue (a queue)
    Hangup       HANGUP

The call's conversation is keyed by the channel's linkedid, and every turn is committed before the
next command is sent, so the same flow reaches the same outcome (radicado read back, PQRD filed) as
on Twilio, and a crash of the AGI server loses nothing but the turn in flight.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from channels.asterisk.agi_session import AgiSession
from channels.asterisk.errors import CallHungUp
from contact_center.core.uow import UnitOfWorkFactory
from ivr.flow import (
    Action,
    AgentReady,
    Enqueue,
    Event,
    Gather,
    Hangup,
    NoInput,
    OfferCallback,
    Play,
    PromptAction,
    QueueUpdate,
    Record,
    RecordingDone,
    Say,
    SayDigits,
    Transfer,
)
from ivr.flow import Digits as DigitsEvent
from ivr.flow.schema import EnqueueNode
from ivr.host import CallTurn, IvrHost

log = logging.getLogger(__name__)
KEYS = "0123456789*#"
QUEUE_DONE = frozenset({"TIMEOUT", "FULL", "JOINEMPTY", "LEAVEEMPTY", "JOINUNAVAIL", "LEAVEUNAVAIL"})


def official_interface(official_id: int) -> str:
    """The queue member interface of an official's phone (see samples/extensions.conf)."""
    return f"PJSIP/official-{official_id}"


@dataclass(frozen=True)
class AsteriskIvr:
    """The FastAGI handler (`AgiServer(config, AsteriskIvr(...))`) for `AGI(agi://.../ivr)`."""

    host: IvrHost
    uows: UnitOfWorkFactory
    prompts: Mapping[str, str] = field(default_factory=dict)  # text or sound name -> sound file
    tts_app: str = "Festival"
    spool: str = "/var/spool/asterisk/recording"
    timer: Callable[[], float] = time.monotonic  # measures recordings; tests pass a fake

    async def __call__(self, session: AgiSession) -> None:
        external_id = await session.get_variable("CHANNEL(linkedid)") or session.env.uniqueid
        caller = session.env.caller_id
        await session.answer()
        async with self.uows() as uow:
            turn = await self.host.start(
                uow, external_id, caller, provider="asterisk", channel=session.env.channel
            )
            await uow.commit()
        try:
            while not turn.finished:
                event = await self._perform(session, turn)
                async with self.uows() as uow:
                    turn = await self.host.send(uow, external_id, event, step=turn.step)
                    await uow.commit()
            await self._render(session, turn.actions, turn)
            if not session.hung_up:
                await session.hangup()
        except CallHungUp:
            async with self.uows() as uow:
                call = await self.host.require(uow, external_id)
                await self.host.hung_up(uow, call)
                await uow.commit()
            raise

    async def _perform(self, session: AgiSession, turn: CallTurn) -> Event:
        """Render the turn's actions; the last one that waits produces the next event."""
        event = await self._render(session, turn.actions, turn)
        if event is not None:
            return event
        node = self.host.flows[self.host.flow_id].nodes.get(turn.node)
        if isinstance(node, EnqueueNode):  # still holding after an announcement: back in the queue
            return await self._queue(session, turn, node.queue, node.announce_every)
        return NoInput()

    async def _render(self, session: AgiSession, actions: tuple[Action, ...], turn: CallTurn) -> Event | None:
        event: Event | None = None
        for action in actions:
            match action:
                case Say() | Play() | SayDigits():
                    await self._prompt(session, action, interruptible=False)
                case Gather():
                    event = await self._gather(session, action)
                case OfferCallback():
                    keys = await self._keys(session, action.prompt, 1, action.timeout)
                    if keys:
                        return DigitsEvent(keys)
                case Record():
                    event = await self._record(session, action, turn)
                case Enqueue():
                    event = await self._queue(session, turn, action.queue, action.announce_every)
                case Transfer(target_kind="official"):
                    await session.exec("Dial", (official_interface(int(action.target)), "30", "t"))
                case Transfer():
                    await session.exec("Queue", (action.target, "t"))
                case Hangup():
                    await session.hangup()
                case _:
                    pass  # ScheduleCallback: the host recorded it
        return event

    async def _prompt(self, session: AgiSession, prompt: PromptAction, *, interruptible: bool) -> str | None:
        escape = KEYS if interruptible else ""
        if isinstance(prompt, SayDigits):
            return await session.say_digits(prompt.digits, escape) if prompt.digits else None
        if isinstance(prompt, Play):
            if prompt.sound not in self.prompts and prompt.text:
                return await self._prompt(session, Say(prompt.text), interruptible=interruptible)
            return await session.stream_file(
                self.prompts.get(prompt.sound, f"pasto195/{prompt.sound}"), escape
            )
        recorded = self.prompts.get(prompt.text)
        if recorded is not None:
            return await session.stream_file(recorded, escape)
        await session.exec(self.tts_app, prompt.text)
        return None

    async def _keys(
        self, session: AgiSession, prompts: tuple[PromptAction, ...], most: int, wait_s: int
    ) -> str:
        first = ""
        for prompt in prompts:
            first = await self._prompt(session, prompt, interruptible=True) or ""
            if first:
                break
        if first and (len(first) >= most or first == "#"):
            return first
        rest = await session.get_data("silence/1", wait_s * 1000, most - len(first))
        return first + (rest or "")

    async def _gather(self, session: AgiSession, action: Gather) -> Event:
        keys = await self._keys(session, action.prompt, action.max_digits, action.timeout)
        if action.finish_on_key:
            keys = keys.removesuffix(action.finish_on_key)
        return DigitsEvent(keys) if keys else NoInput()

    async def _record(self, session: AgiSession, action: Record, turn: CallTurn) -> Event:
        for prompt in action.prompt:
            await self._prompt(session, prompt, interruptible=False)
        path = f"{self.spool}/pasto195-{turn.conversation_id}-{turn.step}"
        started = self.timer()
        await session.exec("Record", (f"{path}.wav", "5", str(action.max_seconds), "k"))
        status = await session.get_variable("RECORD_STATUS")
        seconds = int(self.timer() - started)
        if status in {None, "ERROR", "SKIP"}:
            return NoInput()
        return RecordingDone(f"file://{path}.wav", max(seconds, 1))

    async def _queue(self, session: AgiSession, turn: CallTurn, queue: str, every: int) -> Event:
        await session.exec("Queue", (queue, "t", "", "", str(every)))
        outcome = await session.get_variable("QUEUESTATUS") or ""
        if outcome in QUEUE_DONE or not outcome:
            position, eta = await self._position(turn)
            return QueueUpdate(position, eta)
        member = await session.get_variable("MEMBERINTERFACE") or ""
        return AgentReady(member.removeprefix("PJSIP/official-"))

    async def _position(self, turn: CallTurn) -> tuple[int, int]:
        queue = self.host.queue
        if queue is None:
            return 1, 60
        async with self.uows() as uow:
            spot = await queue.position(uow, turn.conversation_id)
        if spot is None:
            return 1, 60
        return spot.position, spot.eta_seconds if spot.eta_seconds is not None else 60
