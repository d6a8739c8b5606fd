"""Channel-neutral inputs to the interpreter. Adapters translate provider callbacks into these."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class CallStarted:
    """The first event of every call; `caller` is E.164, or None when the number is withheld."""

    caller: str | None


@dataclass(frozen=True)
class Digits:
    """Keys the caller pressed for a `Gather` or `OfferCallback`."""

    digits: str


@dataclass(frozen=True)
class NoInput:
    """A `Gather`, `OfferCallback` or `Record` timed out without keys or voice."""


@dataclass(frozen=True)
class LookupResult:
    """The answer to a `Lookup`; `variables` (spoken text) are merged into the call's variables."""

    found: bool
    variables: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HoursResult:
    """The answer to a `CheckHours`; `next_open` (spoken, e.g. "mañana a las 7:00 a. m.") when a
    named queue is closed, for the flow's `{proxima_apertura}`."""

    open: bool
    next_open: str | None = None


@dataclass(frozen=True)
class RecordingDone:
    """A `Record` finished; the recording is at `url`."""

    url: str
    duration_seconds: int


@dataclass(frozen=True)
class PqrdFiled:
    """The answer to a `FilePqrd`: the radicado to read back and the date of receipt."""

    radicado: str
    filed_on: date | None = None


@dataclass(frozen=True)
class QueueUpdate:
    """Sent while the call waits after an `Enqueue`, every `announce_every` seconds or so.

    `waited_seconds` decides when to offer a callback; without it the interpreter estimates the wait
    as updates x `announce_every`.
    """

    position: int
    eta_seconds: int
    waited_seconds: int | None = None


@dataclass(frozen=True)
class AgentReady:
    """An official accepted the queued call."""

    official_id: str


@dataclass(frozen=True)
class CallbackAccepted:
    """The caller accepted an `OfferCallback` (or the adapter sends `Digits(accept_key)`)."""


@dataclass(frozen=True)
class CallerHangup:
    """The caller hung up; accepted at any node and at any time."""


Event = (
    CallStarted
    | Digits
    | NoInput
    | LookupResult
    | HoursResult
    | RecordingDone
    | PqrdFiled
    | QueueUpdate
    | AgentReady
    | CallbackAccepted
    | CallerHangup
)
