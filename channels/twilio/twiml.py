"""IVR actions -> TwiML, with the twilio library's `VoiceResponse`.

Twilio has no es-CO text-to-speech voice: prompts are spoken in Latin-American Spanish with Amazon
Polly's `Polly.Mia` (es-MX), the nearest neighbour to Pasto's Spanish among Twilio's voices
(`Google.es-US-Standard-A` is the alternative; see the README). Recorded es-CO prompts replace a
`Play` whose sound has a URL in `sounds`.

Every `Gather` and `Record` posts back to a URL that carries the call's step (`?step=N`), so a
retried webhook is recognised by the interpreter as a replay.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from twilio.twiml.voice_response import VoiceResponse  # type: ignore[import-untyped]

from ivr.flow import (
    Action,
    Enqueue,
    Gather,
    Hangup,
    OfferCallback,
    Play,
    PromptAction,
    Record,
    Say,
    SayDigits,
    Transfer,
)

LANGUAGE = "es-MX"
VOICE = "Polly.Mia"
PREFIX = "/channels/twilio"
# Twilio's own hold music, used until the city records its own.
DEFAULT_HOLD_MUSIC = "http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3"
RENDER_CACHE_SIZE = 1024


@dataclass(frozen=True)
class TwimlRenderer:
    """Renders one batch of actions; `base_url` is PUBLIC_BASE_URL, which Twilio signs against."""

    base_url: str
    sounds: Mapping[str, str] = field(default_factory=lambda: {"musica_espera": DEFAULT_HOLD_MUSIC})

    def url(self, hook: str, **query: int | str) -> str:
        suffix = f"?{urlencode(query)}" if query else ""
        return f"{self.base_url}{PREFIX}/{hook}{suffix}"

    _rendered: dict[tuple[tuple[Action, ...], int, bool, bool], str] = field(
        default_factory=dict, compare=False
    )

    def render(self, actions: Sequence[Action], step: int, *, finished: bool, in_queue: bool = False) -> str:
        """The TwiML of one turn. Turns repeat across calls (the greeting, the menus), and building
        the XML costs more than a database round trip, so renderings are kept (a bounded cache).

        `in_queue`: the document runs while the caller waits in a Twilio queue (a waitUrl document,
        or the action of a Gather inside one), where only Play, Say, Pause, Hangup, Redirect, Leave
        and Gather are allowed. There an `Enqueue` (the flow back at its queue) renders nothing: the
        caller is still queued and Twilio fetches the waitUrl again when the document ends. A verb
        that needs the caller out of the queue (Record, Dial) ends the document with `<Leave/>`:
        the Enqueue action then answers the turn outside the queue (webhooks.queue_result)."""
        key = (tuple(actions), step, finished, in_queue)
        cached = self._rendered.get(key)
        if cached is not None:
            return cached
        if len(self._rendered) >= RENDER_CACHE_SIZE:
            self._rendered.clear()
        xml = self._render(actions, step, finished=finished, in_queue=in_queue)
        self._rendered[key] = xml
        return xml

    def _render(self, actions: Sequence[Action], step: int, *, finished: bool, in_queue: bool) -> str:
        response = VoiceResponse()
        for action in actions:
            if in_queue and isinstance(action, Enqueue | Transfer) and not _to_official(action):
                continue  # already waiting in a queue: the router keeps the place
            if in_queue and (isinstance(action, Record) or _to_official(action)):
                response.leave()
                return str(response.to_xml(xml_declaration=True))
            self._add(response, action, step, in_queue)
        if finished and not any(isinstance(a, Hangup | Transfer) for a in actions):
            response.hangup()
        return str(response.to_xml(xml_declaration=True))

    def leave(self) -> str:
        """Take the caller out of the Twilio queue (an official accepted): the Enqueue action follows."""
        response = VoiceResponse()
        response.leave()
        return str(response.to_xml(xml_declaration=True))

    def hold(self) -> str:
        response = VoiceResponse()
        response.play(self.sounds.get("musica_espera", DEFAULT_HOLD_MUSIC))
        return str(response.to_xml(xml_declaration=True))

    def hold_loop(self) -> str:
        """Hold music until the call's TwiML is replaced (an official takes the caller off hold)."""
        response = VoiceResponse()
        response.play(self.sounds.get("musica_espera", DEFAULT_HOLD_MUSIC), loop=0)
        return str(response.to_xml(xml_declaration=True))

    def enqueue_only(self, queue: str, prompt: str | None = None) -> str:
        """The caller waits again in a Twilio queue (a transfer back to a queue)."""
        response = VoiceResponse()
        if prompt:
            _say(response, prompt)
        self._enqueue(response, queue)
        return str(response.to_xml(xml_declaration=True))

    def say_and_hang_up(self, text: str) -> str:
        response = VoiceResponse()
        _say(response, text)
        response.hangup()
        return str(response.to_xml(xml_declaration=True))

    def connect_official(
        self, official_id: int, prompt: str | None = None, *, action: str | None = None
    ) -> str:
        """Dial the official's softphone; `action` is the dial's result URL (the caller's line by
        default; a callback's outgoing leg has its own)."""
        response = VoiceResponse()
        if prompt:
            _say(response, prompt)
        dial = response.dial(action=action or self.url("dial-result"), method="POST")
        dial.client(client_identity(official_id))
        return str(response.to_xml(xml_declaration=True))

    def _add(self, response: VoiceResponse, action: Action, step: int, in_queue: bool = False) -> None:
        match action:
            case Say() | Play() | SayDigits():
                self._prompt(response, action)
            case Gather():
                self._prompts(self._gather(response, action, step, in_queue), action.prompt)
            case OfferCallback():
                # Silence falls through to the hold music after it: no webhook unless a key is pressed.
                gather = response.gather(
                    input="dtmf", action=self._gather_url(step, in_queue), method="POST",
                    num_digits=1, timeout=action.timeout, language=LANGUAGE,
                )  # fmt: skip
                self._prompts(gather, action.prompt)
            case Record():
                self._prompts(response, action.prompt)
                response.record(
                    action=self.url("record", step=step), method="POST", max_length=action.max_seconds,
                    finish_on_key=action.finish_on_key, play_beep=True, timeout=5,
                    recording_status_callback=self.url("recording", step=step),
                    recording_status_callback_method="POST",
                )  # fmt: skip
            case Enqueue():
                self._enqueue(response, action.queue)
            case Transfer(target_kind="official"):
                dial = response.dial(action=self.url("dial-result"), method="POST")
                dial.client(client_identity(int(action.target)))
            case Transfer():
                self._enqueue(response, action.target)
            case Hangup():
                response.hangup()
            case _:  # ScheduleCallback and host requests render nothing
                pass

    def _gather_url(self, step: int, in_queue: bool) -> str:
        # A Gather inside a waitUrl document: its action's answer still runs in the queue.
        return self.url("gather", step=step, in_queue=1) if in_queue else self.url("gather", step=step)

    def _gather(self, response: VoiceResponse, action: Gather, step: int, in_queue: bool) -> VoiceResponse:
        # A menu takes exactly one key; a number (a radicado) ends with its finish key or a pause.
        fixed = action.min_digits == action.max_digits and not action.finish_on_key
        return response.gather(
            input="dtmf", action=self._gather_url(step, in_queue), method="POST",
            num_digits=action.max_digits if fixed else None,
            finish_on_key=action.finish_on_key if not fixed else None,
            timeout=action.timeout, action_on_empty_result=True, language=LANGUAGE,
        )  # fmt: skip

    def _enqueue(self, response: VoiceResponse, queue: str) -> None:
        response.enqueue(
            queue, action=self.url("queue-result"), method="POST",
            wait_url=self.url("queue-wait"), wait_url_method="POST",
        )  # fmt: skip

    def _prompts(self, parent: VoiceResponse, prompts: Sequence[PromptAction]) -> None:
        for prompt in prompts:
            self._prompt(parent, prompt)

    def _prompt(self, parent: VoiceResponse, prompt: PromptAction) -> None:
        if isinstance(prompt, Say):
            _say(parent, prompt.text)
        elif isinstance(prompt, SayDigits):
            say = parent.say(voice=VOICE, language=LANGUAGE)
            say.say_as(" ".join(prompt.digits), interpret_as="digits")
        elif prompt.sound in self.sounds:
            parent.play(self.sounds[prompt.sound])
        elif prompt.text:
            _say(parent, prompt.text)


def _to_official(action: Action) -> bool:
    return isinstance(action, Transfer) and action.target_kind == "official"


def _say(parent: VoiceResponse, text: str) -> None:
    parent.say(text, voice=VOICE, language=LANGUAGE)


def client_identity(official_id: int) -> str:
    """The Twilio Client identity of an official's softphone in the agent console: the identity
    of their access token (channels/twilio/voice_token.py). Letters, digits and underscore only,
    the characters every Twilio Voice SDK (browser and mobile) accepts."""
    return f"official_{official_id}"
