"""The Línea 195 flows over FastAGI: the same IVR host as Twilio, rendered as AGI commands.

    Say          STREAM FILE of a recorded es-CO prompt when `prompts` maps the text, else of the
                 text spoken by espeak-ng (`channels.asterisk.prompts`, cached by text hash): the
                 text never travels as an application argument
    Play         STREAM FILE of the sound (its mapped file, or its text as above, or pasto195/<sound>);
                 the queue's hold music is app_queue's music-on-hold class, never a file
    SayDigits    SAY DIGITS (Asterisk's own digits in the channel's language, `es`)
    Gather       prompts, then GET DATA for the remaining keys
    OfferCallback the prompt, then one key (GET DATA, 1 digit)
    Record       EXEC Record to the recordings directory; the file path is the recording's URL
    Enqueue      EXEC Queue (`channels.asterisk.queue_wait`): app_queue announces the position
                 itself and the caller never leaves it, except once for the callback offer, after
                 which they go back at the position they held
    Transfer     EXEC Dial (an official) or EXEC Queue (a queue)
    Hangup       HANGUP

Every prompt of a turn that waits for keys is interruptible by them, and the key that interrupted
it is the first key of the answer (a caller who knows the menu need not listen to it).

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
from channels.asterisk.interfaces import DEFAULT, MemberInterface
from channels.asterisk.prompts import PromptVoice, default_voice
from channels.asterisk.queue_wait import QueueWait, moved_by_control
from contact_center.core.uow import UnitOfWorkFactory
from ivr.flow import (
    Action,
    Enqueue,
    Event,
    Gather,
    Hangup,
    NoInput,
    OfferCallback,
    Play,
    PromptAction,
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


def official_interface(official_id: int) -> str:
    """The default queue member interface of an official's phone (see samples/extensions.conf)."""
    return DEFAULT.of(official_id)


@dataclass(frozen=True)
class AsteriskIvr:
    """The FastAGI handler (`AgiServer(config, AsteriskIvr(...))`) for `AGI(agi://.../ivr)`."""

    host: IvrHost
    uows: UnitOfWorkFactory
    prompts: Mapping[str, str] = field(default_factory=dict)  # text or sound name -> sound file
    voice: PromptVoice = field(default_factory=default_voice)  # every other text, spoken by espeak-ng
    spool: str = "/var/spool/asterisk/recording"
    timer: Callable[[], float] = time.monotonic  # measures recordings; tests pass a fake
    interfaces: MemberInterface = DEFAULT
    hold_music: str = "default"  # the music-on-hold class of app_queue and of the hold context

    async def __call__(self, session: AgiSession) -> None:
        external_id = await session.get_variable("CHANNEL(linkedid)") or session.env.uniqueid
        caller = session.env.caller_id
        await session.answer()
        async with self.uows() as uow:
            turn = await self.host.start(
                uow, external_id, caller, provider="asterisk", channel=session.env.channel
            )
            await uow.commit()
        wait = QueueWait(session, self.interfaces, self.hold_music)
        try:
            while not turn.finished:
                event = await self._perform(session, turn, wait)
                async with self.uows() as uow:
                    turn = await self.host.send(uow, external_id, event, step=turn.step)
                    await uow.commit()
            if not wait.talked:  # after a talk with an official, the flow's "connecting" is moot
                await self._render(session, turn.actions, turn, wait)
            if not session.hung_up:
                await session.hangup()
        except CallHungUp:
            await self._gone(external_id)
            raise

    async def _gone(self, external_id: str) -> None:
        """The AGI ended: the caller hung up, or an official's control moved the call elsewhere in
        the dialplan (hold, transfer), which ends the AGI too but not the call."""
        async with self.uows() as uow:
            call = await self.host.require(uow, external_id)  # waits for that control's commit
            if moved_by_control(call):
                log.info("ivr_call_moved", extra={"conversation_id": call.id})
                return
            await self.host.hung_up(uow, call)
            await uow.commit()

    async def _perform(self, session: AgiSession, turn: CallTurn, wait: QueueWait) -> Event:
        """Render the turn's actions; the last one that waits produces the next event."""
        event = await self._render(session, turn.actions, turn, wait)
        if event is not None:
            return event
        node = self.host.flows[self.host.flow_id].nodes.get(turn.node)
        if isinstance(node, EnqueueNode):  # after the callback offer: back in the queue, same place
            return await wait.queue(node.queue, node.callback_after, turn, self._position)
        return NoInput()

    async def _render(
        self, session: AgiSession, actions: tuple[Action, ...], turn: CallTurn, wait: QueueWait
    ) -> Event | None:
        event: Event | None = None
        pressed = ""  # a key that interrupted a prompt, for the menu that follows
        for index, action in enumerate(actions):
            match action:
                case Say() | Play() | SayDigits():
                    if pressed or self._is_hold_music(action, turn):
                        continue  # the caller already chose / app_queue plays the music
                    escape = KEYS if _keys_follow(actions, index) else ""
                    pressed = await self._prompt(session, action, escape) or ""
                case Gather():
                    event = await self._gather(session, action, pressed)
                    pressed = ""
                case OfferCallback():
                    keys = await self._keys(session, action.prompt, 1, action.timeout, pressed)
                    if keys:
                        return DigitsEvent(keys)
                case Record():
                    event = await self._record(session, action, turn)
                case Enqueue():
                    event = await wait.queue(action.queue, action.callback_after, turn, self._position)
                case Transfer(target_kind="official"):
                    await session.exec("Dial", (self.interfaces.of(int(action.target)), "30", "t"))
                case Transfer():
                    await session.exec("Queue", (action.target, "tc"), failure_ok=True)
                case Hangup():
                    await session.hangup()
                case _:
                    pass  # ScheduleCallback: the host recorded it
        return event

    def _is_hold_music(self, action: Action, turn: CallTurn) -> bool:
        node = self.host.flows[self.host.flow_id].nodes.get(turn.node)
        return isinstance(node, EnqueueNode) and isinstance(action, Play) and action.sound == node.hold_music

    async def _prompt(self, session: AgiSession, prompt: PromptAction, escape: str) -> str | None:
        """Play one prompt; the key that interrupted it (only keys in `escape` do)."""
        if isinstance(prompt, SayDigits):
            return await session.say_digits(prompt.digits, escape) if prompt.digits else None
        if isinstance(prompt, Play):
            if prompt.sound not in self.prompts and prompt.text:
                return await self._prompt(session, Say(prompt.text), escape)
            return await session.stream_file(
                self.prompts.get(prompt.sound, f"pasto195/{prompt.sound}"), escape
            )
        recorded = self.prompts.get(prompt.text) or await self.voice.ensure(prompt.text)
        return await session.stream_file(recorded, escape)

    async def _keys(
        self, session: AgiSession, prompts: tuple[PromptAction, ...], most: int, wait_s: int, first: str = ""
    ) -> str:
        for prompt in prompts:
            if first:
                break
            first = await self._prompt(session, prompt, KEYS) or ""
        if first and (len(first) >= most or first == "#"):
            return first
        rest = await session.get_data(await self.voice.silence(), wait_s * 1000, most - len(first))
        return first + (rest or "")

    async def _gather(self, session: AgiSession, action: Gather, pressed: str) -> Event:
        keys = await self._keys(session, action.prompt, action.max_digits, action.timeout, pressed)
        if action.finish_on_key:
            keys = keys.removesuffix(action.finish_on_key)
        return DigitsEvent(keys) if keys else NoInput()

    async def _record(self, session: AgiSession, action: Record, turn: CallTurn) -> Event:
        for prompt in action.prompt:
            await self._prompt(session, prompt, "")
        path = f"{self.spool}/pasto195-{turn.conversation_id}-{turn.step}"
        started = self.timer()
        await session.exec("Record", (f"{path}.wav", "5", str(action.max_seconds), "k"))
        status = await session.get_variable("RECORD_STATUS")
        seconds = int(self.timer() - started)
        if status in {None, "ERROR", "SKIP"}:
            return NoInput()
        return RecordingDone(f"file://{path}.wav", max(seconds, 1))

    async def _position(self, turn: CallTurn) -> tuple[int, int] | None:
        """The router's idea of the caller's place and wait, for the flow's spoken update."""
        queue = self.host.queue
        if queue is None:
            return None
        async with self.uows() as uow:
            spot = await queue.position(uow, turn.conversation_id)
        if spot is None:
            return None
        return spot.position, spot.eta_seconds if spot.eta_seconds is not None else 60


def _keys_follow(actions: tuple[Action, ...], index: int) -> bool:
    """Whether a menu or an offer waits for keys after this prompt in the same turn."""
    return any(isinstance(a, Gather | OfferCallback) for a in actions[index + 1 :])
