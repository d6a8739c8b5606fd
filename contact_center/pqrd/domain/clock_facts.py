"""The vocabulary of the PQRD legal clock: types, settings and the facts a ticket carries.

Kept apart from the computations in `legal_clock` so each module stays small; `legal_clock`
re-exports every name here, so callers import from one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType

from contact_center.core.errors import InvalidInput
from contact_center.pqrd.domain.calendar import bogota_date


class PqrdType(StrEnum):
    """Kinds of PQRD; the value is the public type code of the API."""

    PETICION = "peticion"
    PETICION_DOCUMENTOS = "peticion_documentos"
    CONSULTA = "consulta"
    PETICION_AUTORIDAD = "peticion_autoridad"
    QUEJA = "queja"
    RECLAMO = "reclamo"
    DENUNCIA = "denuncia"
    SUGERENCIA = "sugerencia"
    FELICITACION = "felicitacion"


PQRD_TYPE_LABELS: Mapping[PqrdType, str] = MappingProxyType(
    {
        PqrdType.PETICION: "Petición",
        PqrdType.PETICION_DOCUMENTOS: "Petición de documentos o información",
        PqrdType.CONSULTA: "Consulta",
        PqrdType.PETICION_AUTORIDAD: "Petición de otra autoridad",
        PqrdType.QUEJA: "Queja",
        PqrdType.RECLAMO: "Reclamo",
        PqrdType.DENUNCIA: "Denuncia",
        PqrdType.SUGERENCIA: "Sugerencia",
        PqrdType.FELICITACION: "Felicitación",
    }
)

# Ley 1755 de 2015 art. 14 (peticion 15, documentos 10, consulta 30), art. 30 (authority 10);
# the rest follow the practice of Colombian entities. Administrators override through ClockSettings.
DEFAULT_TERMS: Mapping[PqrdType, int] = MappingProxyType(
    {
        PqrdType.PETICION: 15,
        PqrdType.PETICION_DOCUMENTOS: 10,
        PqrdType.CONSULTA: 30,
        PqrdType.PETICION_AUTORIDAD: 10,
        PqrdType.QUEJA: 15,
        PqrdType.RECLAMO: 15,
        PqrdType.DENUNCIA: 15,
        PqrdType.SUGERENCIA: 15,
        PqrdType.FELICITACION: 15,
    }
)


def parse_pqrd_type(value: str) -> PqrdType:
    """The PqrdType for a public type code; unknown ones raise InvalidInput("unknown_pqrd_type")."""
    try:
        return PqrdType(value)
    except ValueError:
        raise InvalidInput(
            f"Tipo de PQRD desconocido: «{value}».", code="unknown_pqrd_type", value=value
        ) from None


class PriorityFlag(StrEnum):
    """Art. 20 priority grounds. They reorder work; they never change the legal term."""

    DERECHO_FUNDAMENTAL = "derecho_fundamental"
    RIESGO_VIDA = "riesgo_vida"
    PERIODISTA = "periodista"
    MENOR = "menor"
    ADULTO_MAYOR = "adulto_mayor"
    DISCAPACIDAD = "discapacidad"


class ExtensionMode(StrEnum):
    """How art. 14 parágrafo's "no podrá exceder del doble del inicialmente previsto" is read."""

    FROM_ORIGINAL_START = "from_original_start"  # new due date ≤ 2 × term counted from day 1
    FROM_ORIGINAL_DUE = "from_original_due"  # up to 2 × term more after the original due date


class ResumeMode(StrEnum):
    """What the clock does when the citizen completes the petition (art. 17 "se reactivará")."""

    REMAINING = "remaining"  # resumes with the business days it had left
    RESTART = "restart"  # the full term starts again from the day after the answer


class ClockState(StrEnum):
    RUNNING = "running"
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"
    SUSPENDED = "suspended"  # waiting for the citizen to complete the petition (art. 17)
    COMPLETION_EXPIRED = "completion_expired"  # the citizen let the period pass: desistimiento due


def _terms(overrides: Mapping[PqrdType, int] | Mapping[str, int]) -> Mapping[PqrdType, int]:
    merged = dict(DEFAULT_TERMS)
    for key, days in overrides.items():
        pqrd_type = parse_pqrd_type(str(key))
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise InvalidInput(
                f"El término de «{pqrd_type}» debe ser un número entero positivo de días hábiles.",
                code="invalid_term",
                pqrd_type=str(pqrd_type),
            )
        merged[pqrd_type] = days
    return MappingProxyType(merged)


@dataclass(frozen=True, slots=True)
class ClockSettings:
    """How the clock reads the law; each default is the reading docs/legal-clock.md states.

    `terms` may be partial: missing types keep DEFAULT_TERMS. `cutoff_hour` (1–23, Bogotá time): a
    filing at or after it counts as received on the next business day. With
    `non_business_filing_counts_next_business_day`, a filing on a weekend, holiday or closure day
    counts as received on the next business day. Both are off by default: a filing counts from its
    own date.
    """

    terms: Mapping[PqrdType, int] = field(default_factory=lambda: DEFAULT_TERMS)
    extension_mode: ExtensionMode = ExtensionMode.FROM_ORIGINAL_START
    resume_mode: ResumeMode = ResumeMode.REMAINING
    cutoff_hour: int | None = None
    non_business_filing_counts_next_business_day: bool = False
    completion_request_days: int = 10  # art. 17: business days after receipt to ask for completion
    completion_period_months: int = 1  # art. 17: calendar months the citizen has to complete
    completion_extension_months: int = 1  # art. 17: once, on the citizen's request
    forwarding_days: int = 5  # art. 21: business days to forward to the competent authority
    verbal_forwarding_days: int = 0  # art. 21: "de inmediato" when filed verbally
    deemed_granted_copies_days: int = 3  # art. 14 num. 1: business days to deliver copies

    def __post_init__(self) -> None:
        object.__setattr__(self, "terms", _terms(self.terms))
        if self.cutoff_hour is not None and not 1 <= self.cutoff_hour <= 23:
            raise InvalidInput("La hora de corte debe estar entre 1 y 23.", code="invalid_cutoff")
        counts = (
            self.completion_request_days,
            self.completion_period_months,
            self.completion_extension_months,
            self.forwarding_days,
            self.verbal_forwarding_days,
            self.deemed_granted_copies_days,
        )
        if any(value < 0 for value in counts):
            raise InvalidInput("Los plazos no pueden ser negativos.", code="invalid_setting")

    def with_terms(self, overrides: Mapping[PqrdType, int] | Mapping[str, int]) -> ClockSettings:
        """These settings with some terms overridden (an administrator's change)."""
        return replace(self, terms={**self.terms, **_terms(overrides)})


@dataclass(frozen=True, slots=True)
class Suspension:
    """A completion request (art. 17): notified on `suspended_on`, answered on `resumed_on`.

    `extended` records that the citizen asked, once and in time, for another period to complete.
    """

    suspended_on: date
    resumed_on: date | None = None
    extended: bool = False


@dataclass(frozen=True, slots=True)
class Extension:
    """A prórroga (art. 14 parágrafo) notified to the citizen on `granted_on`, with reasons."""

    granted_on: date
    new_due_date: date
    reasons: str


@dataclass(frozen=True, slots=True)
class ClockFacts:
    """What the clock needs to know about one PQRD. Priority flags are carried, never counted."""

    pqrd_type: PqrdType
    filed_at: datetime
    verbal: bool = False
    suspensions: tuple[Suspension, ...] = ()
    extension: Extension | None = None
    priority_flags: frozenset[PriorityFlag] = frozenset()

    def __post_init__(self) -> None:
        bogota_date(self.filed_at)  # refuses naive datetimes
        _check_suspensions(self.suspensions)
        if self.extension is not None and not self.extension.reasons.strip():
            raise _reasons_required()

    @property
    def open_suspension(self) -> Suspension | None:
        """The completion request still waiting for the citizen, if any."""
        last = self.suspensions[-1] if self.suspensions else None
        return last if last is not None and last.resumed_on is None else None

    def known_on(self, day: date) -> ClockFacts:
        """The facts as they stood at the end of `day` (later events removed)."""
        if self._all_known_on(day):
            return self  # the common case in sweeps: nothing to remove
        suspensions = tuple(
            s if s.resumed_on is None or s.resumed_on <= day else replace(s, resumed_on=None)
            for s in self.suspensions
            if s.suspended_on <= day
        )
        extension = self.extension
        if extension is not None and extension.granted_on > day:
            extension = None
        return replace(self, suspensions=suspensions, extension=extension)

    def _all_known_on(self, day: date) -> bool:
        if self.extension is not None and self.extension.granted_on > day:
            return False
        latest = [s.resumed_on or s.suspended_on for s in self.suspensions]
        return all(known <= day for known in latest)


def _check_suspensions(suspensions: tuple[Suspension, ...]) -> None:
    previous_end: date | None = None
    for index, s in enumerate(suspensions):
        ordered = previous_end is None or s.suspended_on >= previous_end
        closed_ok = s.resumed_on is None or s.resumed_on >= s.suspended_on
        open_last = s.resumed_on is not None or index == len(suspensions) - 1
        if not (ordered and closed_ok and open_last):
            raise InvalidInput(
                "Las suspensiones deben estar en orden y no superponerse.",
                code="invalid_suspensions",
            )
        previous_end = s.resumed_on


def _reasons_required() -> InvalidInput:
    return InvalidInput(
        "La prórroga debe expresar los motivos de la demora.", code="extension_reasons_required"
    )


@dataclass(frozen=True, slots=True)
class Deadline:
    """The answer to "when is this due?" for a new filing (the public deadline endpoint)."""

    pqrd_type: PqrdType
    filed_at: datetime
    received_on: date
    start: date
    term_days: int
    due_date: date


@dataclass(frozen=True, slots=True)
class ClockSnapshot:
    """The clock of one PQRD as of one day.

    `due_date` is None while suspended (it depends on when the citizen answers). `days_left` is the
    business days after `as_of` up to the due date: 0 on the due date, negative once it has passed;
    while suspended, the days the term will have when it resumes. `fraction_elapsed` is
    1 - days_left / total term (extension included); above 1 when overdue.
    """

    as_of: date
    state: ClockState
    received_on: date
    start: date
    term_days: int
    original_due_date: date
    due_date: date | None
    days_elapsed: int
    days_left: int
    fraction_elapsed: float
    extended: bool
