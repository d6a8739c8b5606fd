"""The PQRD ticket: its lifecycle as an explicit state machine, the radicado, and the audit chain.

Pure: services call `check_transition` before they change a ticket's status and record a ticket
event whose hash chains to the previous one (`event_hash`), so tampering with the append-only trail
shows up in `verify_chain`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum, StrEnum
from types import MappingProxyType
from typing import Any, Protocol
from uuid import UUID

from contact_center.core.errors import Conflict, InvalidInput
from contact_center.pqrd.domain.legal_clock import PqrdType, PriorityFlag

__all__ = [
    "CLOCK_RUNNING_STATUSES",
    "OPEN_STATUSES",
    "STATUS_LABELS",
    "TERMINAL_STATUSES",
    "TRANSITIONS",
    "ChainLink",
    "HashedEvent",
    "PqrdType",
    "PriorityFlag",
    "Radicado",
    "TicketStatus",
    "allowed_targets",
    "build_chain",
    "check_transition",
    "event_hash",
    "format_radicado",
    "parse_radicado",
    "verify_chain",
]


class TicketStatus(StrEnum):
    RADICADO = "radicado"  # filed and acknowledged, not yet with an official
    ASIGNADO = "asignado"  # an official owns it
    EN_TRAMITE = "en_tramite"  # the official is working on it
    SUSPENDIDO = "suspendido"  # waiting for the citizen to complete it (art. 17)
    PRORROGADO = "prorrogado"  # term extended (art. 14 parágrafo)
    RESPONDIDO = "respondido"  # answered; waiting for the notification to be confirmed
    CERRADO = "cerrado"  # answered and notified: done
    TRASLADADO = "trasladado"  # forwarded to the competent authority (art. 21): done here
    DESISTIDO = "desistido"  # withdrawn (art. 18) or lapsed for lack of completion (art. 17)


STATUS_LABELS: Mapping[TicketStatus, str] = MappingProxyType(
    {
        TicketStatus.RADICADO: "Radicado",
        TicketStatus.ASIGNADO: "Asignado",
        TicketStatus.EN_TRAMITE: "En trámite",
        TicketStatus.SUSPENDIDO: "Suspendido (en espera del ciudadano)",
        TicketStatus.PRORROGADO: "Prorrogado",
        TicketStatus.RESPONDIDO: "Respondido",
        TicketStatus.CERRADO: "Cerrado",
        TicketStatus.TRASLADADO: "Trasladado a otra entidad",
        TicketStatus.DESISTIDO: "Desistido",
    }
)

_S = TicketStatus

# Which status may follow which. Reassignment to another official or dependencia is an event, not a
# status change. Desistimiento expreso (art. 18) is possible "en cualquier tiempo" while the PQRD is
# open; the tácito one (art. 17) comes from `suspendido`. Forwarding (art. 21) is decided early, so
# only before the substance is being worked on or right after the citizen completes it. A completion
# request (art. 17) comes before any extension (the legal clock refuses it after one).
TRANSITIONS: Mapping[TicketStatus, frozenset[TicketStatus]] = MappingProxyType(
    {
        _S.RADICADO: frozenset({_S.ASIGNADO, _S.TRASLADADO, _S.DESISTIDO}),
        _S.ASIGNADO: frozenset({_S.EN_TRAMITE, _S.SUSPENDIDO, _S.TRASLADADO, _S.DESISTIDO}),
        _S.EN_TRAMITE: frozenset(
            {
                _S.SUSPENDIDO,
                _S.PRORROGADO,
                _S.RESPONDIDO,
                _S.TRASLADADO,
                _S.DESISTIDO,
            }
        ),
        _S.SUSPENDIDO: frozenset({_S.EN_TRAMITE, _S.DESISTIDO}),
        _S.PRORROGADO: frozenset({_S.RESPONDIDO, _S.DESISTIDO}),
        _S.RESPONDIDO: frozenset({_S.CERRADO}),
        _S.CERRADO: frozenset(),
        _S.TRASLADADO: frozenset(),
        _S.DESISTIDO: frozenset(),
    }
)

TERMINAL_STATUSES: frozenset[TicketStatus] = frozenset(s for s, t in TRANSITIONS.items() if not t)
OPEN_STATUSES: frozenset[TicketStatus] = frozenset(TicketStatus) - TERMINAL_STATUSES
# The legal term runs in these; it is stopped while suspended and once answered.
CLOCK_RUNNING_STATUSES: frozenset[TicketStatus] = frozenset(
    {_S.RADICADO, _S.ASIGNADO, _S.EN_TRAMITE, _S.PRORROGADO}
)


def allowed_targets(current: TicketStatus) -> frozenset[TicketStatus]:
    """The statuses a ticket in `current` may move to."""
    return TRANSITIONS[current]


def check_transition(current: TicketStatus, target: TicketStatus) -> None:
    """Refuse an impossible status change with Conflict("invalid_transition")."""
    if target not in TRANSITIONS[current]:
        source, goal = STATUS_LABELS[current], STATUS_LABELS[target]
        raise Conflict(
            f"Un radicado en estado «{source}» no puede pasar a «{goal}».",
            code="invalid_transition",
            current=str(current),
            target=str(target),
        )


# -- radicado --------------------------------------------------------------------------------------

_SEQ_DIGITS = 6


@dataclass(frozen=True, slots=True, order=True)
class Radicado:
    """A filing number: year of receipt and consecutive within that year."""

    year: int
    seq: int

    def __str__(self) -> str:
        return format_radicado(self.year, self.seq)


def format_radicado(year: int, seq: int) -> str:
    """Digits only, easy to key in on a phone and to read back: "2026000123" (year + 6 digits).

    A year past 999,999 filings keeps all its digits ("20261000000"); the year is always the first
    four, so the number stays unambiguous.
    """
    if not 2000 <= year <= 9999 or seq < 1:
        raise InvalidInput("Año o consecutivo de radicado inválido.", code="invalid_radicado")
    return f"{year:04d}{seq:0{_SEQ_DIGITS}d}"


def parse_radicado(text: str) -> Radicado:
    """Read a radicado typed or keyed by a citizen; spaces and hyphens are ignored.

    Refuses anything that does not format back to itself, with InvalidInput("invalid_radicado").
    """
    digits = "".join(ch for ch in text if ch not in " -")
    invalid = InvalidInput(f"El número de radicado «{text}» no es válido.", code="invalid_radicado")
    if not (digits.isascii() and digits.isdigit() and len(digits) >= 4 + _SEQ_DIGITS):
        raise invalid
    year, seq = int(digits[:4]), int(digits[4:])
    if not 2000 <= year <= 9999 or seq < 1 or format_radicado(year, seq) != digits:
        raise invalid
    return Radicado(year, seq)


# -- audit hash chain ------------------------------------------------------------------------------


def _canonical(value: object) -> object:
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidInput("Evento con fecha sin zona horaria.", code="naive_datetime")
        # The same instant hashes the same whatever zone the database hands it back in.
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, frozenset | set):
        return sorted(value, key=str)
    raise InvalidInput(
        f"Valor no admitido en un evento: {type(value).__name__}.",
        code="unhashable_event",
    )


def _canonical_json(prev_hash: str | None, payload: Mapping[str, Any]) -> bytes:
    document = {"prev": prev_hash, "event": dict(payload)}
    text = json.dumps(
        document,
        default=_canonical,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    return text.encode("utf-8")


def canonical_json(prev_hash: str | None, payload: Mapping[str, Any]) -> bytes:
    """The bytes `event_hash` hashes (for a hash recomputed elsewhere, e.g. in SQL)."""
    return _canonical_json(prev_hash, payload)


def event_hash(prev_hash: str | None, payload: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of the event's fields and the previous event's hash.

    Canonical: sorted keys, no spaces, UTF-8; datetimes (aware only) as UTC ISO 8601, dates as ISO,
    enums by value, UUIDs as strings, sets sorted. The first event of a chain has prev_hash None.
    """
    return hashlib.sha256(_canonical_json(prev_hash, payload)).hexdigest()


class HashedEvent(Protocol):
    """An event as stored: its fields and the hash recorded with it."""

    @property
    def payload(self) -> Mapping[str, Any]: ...

    @property
    def hash(self) -> str: ...


@dataclass(frozen=True, slots=True)
class ChainLink:
    payload: Mapping[str, Any]
    hash: str


def build_chain(
    payloads: Iterable[Mapping[str, Any]],
    prev_hash: str | None = None,
) -> list[ChainLink]:
    """Chain event payloads in order, starting after `prev_hash`."""
    links: list[ChainLink] = []
    for payload in payloads:
        prev_hash = event_hash(prev_hash, payload)
        links.append(ChainLink(payload, prev_hash))
    return links


def verify_chain(events: Iterable[HashedEvent], prev_hash: str | None = None) -> int | None:
    """The index of the first event whose hash does not match, or None when the chain is intact.

    An edited, inserted, removed or reordered event breaks the chain at that point. Pass the hash
    of the event just before `events` to verify a tail.
    """
    for index, event in enumerate(events):
        try:
            expected = event_hash(prev_hash, event.payload)
        except (InvalidInput, TypeError, ValueError):
            return index
        if event.hash != expected:
            return index
        prev_hash = event.hash
    return None
