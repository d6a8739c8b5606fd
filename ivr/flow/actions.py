"""What the interpreter asks an adapter to do, in order. Frozen dataclasses that serialize to JSON.

Three families. Audio and call control the adapter renders (TwiML verbs, AGI commands): `Say`,
`Play`, `SayDigits`, `Gather`, `OfferCallback`, `Record`, `Enqueue`, `Transfer`, `Hangup`.
Requests the host answers with an event after calling its services: `Lookup` -> `LookupResult`,
`CheckHours` -> `HoursResult`, `FilePqrd` -> `PqrdFiled`; a request always ends its batch, so an
adapter performs it, advances again and renders the concatenation. And one instruction without
an answer: `ScheduleCallback`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import Field, TypeAdapter


@dataclass(frozen=True)
class Say:
    """Speak text in the flow's language (es-CO)."""

    text: str
    kind: Literal["say"] = field(default="say", init=False)


@dataclass(frozen=True)
class Play:
    """Play a named recording; say `text` instead when the recording is not available."""

    sound: str
    text: str | None = None
    kind: Literal["play"] = field(default="play", init=False)


@dataclass(frozen=True)
class SayDigits:
    """Read digits one by one (a radicado, a phone number)."""

    digits: str
    kind: Literal["say_digits"] = field(default="say_digits", init=False)


PromptAction = Annotated[Say | Play | SayDigits, Field(discriminator="kind")]


@dataclass(frozen=True)
class Gather:
    """Play `prompt` (interruptible) and collect keys; answer with `Digits` or `NoInput`.

    A menu gathers exactly one key (`min_digits == max_digits == 1`, no finish key).
    """

    prompt: tuple[PromptAction, ...]
    min_digits: int
    max_digits: int
    timeout: int
    finish_on_key: str
    kind: Literal["gather"] = field(default="gather", init=False)


@dataclass(frozen=True)
class OfferCallback:
    """While holding: play `prompt` and wait `timeout` seconds for `accept_key`, then keep holding.

    Answer with `CallbackAccepted` (or `Digits(accept_key)`); silence needs no event.
    """

    prompt: tuple[PromptAction, ...]
    accept_key: str
    timeout: int
    kind: Literal["offer_callback"] = field(default="offer_callback", init=False)


@dataclass(frozen=True)
class Record:
    """Record the caller after `prompt`; answer with `RecordingDone` (or `NoInput`)."""

    prompt: tuple[PromptAction, ...]
    max_seconds: int
    finish_on_key: str
    pqrd_type: str
    anonymous: bool
    kind: Literal["record"] = field(default="record", init=False)


@dataclass(frozen=True)
class Enqueue:
    """Put the call in a routing queue and hold it with music; send `QueueUpdate` about every
    `announce_every` seconds and `AgentReady` when an official takes it. Enqueuing a call already in
    that queue keeps its place."""

    queue: str
    announce_every: int
    hold_music: str
    callback_after: int | None
    kind: Literal["enqueue"] = field(default="enqueue", init=False)


@dataclass(frozen=True)
class Transfer:
    """Bridge the call to an official or hand it to a queue; the flow ends here."""

    target_kind: Literal["official", "queue"]
    target: str
    kind: Literal["transfer"] = field(default="transfer", init=False)


@dataclass(frozen=True)
class Hangup:
    """End the call; the flow ends here."""

    kind: Literal["hangup"] = field(default="hangup", init=False)


@dataclass(frozen=True)
class Lookup:
    """Host request: run `operation` (e.g. `radicado_status`) with `args`; answer `LookupResult`."""

    operation: str
    args: dict[str, str]
    kind: Literal["lookup"] = field(default="lookup", init=False)


@dataclass(frozen=True)
class CheckHours:
    """Host request: is the named schedule open now? Answer `HoursResult`. With `queue`, the
    routing queue's own business hours answer instead (routing.hours)."""

    schedule: str
    queue: str | None = None
    kind: Literal["check_hours"] = field(default="check_hours", init=False)


@dataclass(frozen=True)
class FilePqrd:
    """Host request: file the recorded PQRD (a legal petition); answer `PqrdFiled`.

    `caller` is None for an anonymous filing: the interpreter never hands over the number then.
    """

    pqrd_type: str
    anonymous: bool
    recording_url: str
    duration_seconds: int
    caller: str | None
    subject: str | None
    kind: Literal["file_pqrd"] = field(default="file_pqrd", init=False)


@dataclass(frozen=True)
class ScheduleCallback:
    """Host instruction: turn the queued call into a callback to `number`, keeping its turn."""

    queue: str
    number: str
    kind: Literal["schedule_callback"] = field(default="schedule_callback", init=False)


Action = Annotated[
    Say
    | Play
    | SayDigits
    | Gather
    | OfferCallback
    | Record
    | Enqueue
    | Transfer
    | Hangup
    | Lookup
    | CheckHours
    | FilePqrd
    | ScheduleCallback,
    Field(discriminator="kind"),
]
HOST_REQUESTS = (Lookup, CheckHours, FilePqrd)

ACTIONS_JSON = TypeAdapter[tuple[Action, ...]](tuple[Action, ...])
"""Serializes a batch of actions to JSON and back (`ACTIONS_JSON.dump_json(actions)`)."""
