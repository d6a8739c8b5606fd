"""The PQRD legal clock (DESIGN.md §4): terms in business days under Ley 1755 de 2015.

Pure: no I/O, no "now". Every instant is an aware datetime (naive ones are refused with
`InvalidInput(code="naive_datetime")`); facts about a ticket (suspensions, the extension) are
calendar dates in America/Bogota. The clock never mutates: `request_completion`,
`record_completion`, `extend_completion_period` and `grant_extension` return new `ClockFacts` that
the service persists with a ticket event.

Counting: the day of receipt is day 0; day 1 is the first business day after it (art. 14); the due
date is the last business day of the term. A day counts when it is a business day after the
counting origin and the clock is not suspended on it. A completion request (art. 17) suspends the
clock from the day after it goes out (the day of the request is a day of the term: the entity had
it) until the day the citizen answers; counting resumes the day after the answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from contact_center.domain.calendar import BusinessCalendar, bogota_date
from contact_center.domain.clock import BOGOTA
from contact_center.domain.errors import Conflict, InvalidInput


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
    """How the clock reads the law; each default is the reading DESIGN.md §4 chose.

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


@dataclass(frozen=True, slots=True)
class _Counting:
    """Where counting starts and the windows (after s, up to r) in which it stops."""

    origin: date
    windows: tuple[tuple[date, date | None], ...]


def add_months(day: date, months: int) -> date:
    """The same day `months` calendar months later, or that month's last day if it is shorter."""
    year, month_index = divmod(day.month - 1 + months, 12)
    year += day.year
    first_of_next = date(year + (month_index + 1) // 12, (month_index + 1) % 12 + 1, 1)
    same_day = date(year, month_index + 1, 1) + timedelta(days=day.day - 1)
    return min(same_day, first_of_next - timedelta(days=1))


class LegalClock:
    """Computes the legal dates of PQRDs on one business calendar with one reading of the law."""

    def __init__(self, calendar: BusinessCalendar, settings: ClockSettings | None = None) -> None:
        self.calendar = calendar
        self.settings = settings if settings is not None else ClockSettings()

    # -- receipt and the original term (art. 14) ------------------------------------------------

    def received_on(self, filed_at: datetime) -> date:
        """The date of receipt in Bogotá, after the cut-off and non-business settings (art. 14)."""
        day = bogota_date(filed_at)
        cutoff = self.settings.cutoff_hour
        if cutoff is not None and filed_at.astimezone(BOGOTA).hour >= cutoff:
            return self.calendar.next_business_day(day)
        if self.settings.non_business_filing_counts_next_business_day:
            return self.calendar.business_day_on_or_after(day)
        return day

    def term_days(self, pqrd_type: PqrdType) -> int:
        """The term in business days for a type (art. 14, art. 30); priority never changes it."""
        return self.settings.terms[pqrd_type]

    def start(self, filed_at: datetime) -> date:
        """Day 1 of the term: the first business day after the day of receipt (art. 14)."""
        return self.calendar.next_business_day(self.received_on(filed_at))

    def due_date(self, pqrd_type: PqrdType, filed_at: datetime) -> date:
        """The original due date: the last business day of the term from day 1 (art. 14)."""
        received = self.received_on(filed_at)
        return self.calendar.add_business_days(received, self.term_days(pqrd_type))

    def deadline(self, pqrd_type: PqrdType, filed_at: datetime) -> Deadline:
        """Receipt, start, term and due date of a new filing, for the acknowledgement (art. 14)."""
        received = self.received_on(filed_at)
        term = self.term_days(pqrd_type)
        return Deadline(
            pqrd_type=pqrd_type,
            filed_at=filed_at,
            received_on=received,
            start=self.calendar.next_business_day(received),
            term_days=term,
            due_date=self.calendar.add_business_days(received, term),
        )

    # -- the running clock ----------------------------------------------------------------------

    def effective_due_date(self, facts: ClockFacts) -> date | None:
        """The due date after suspensions and the extension; None while suspended (art. 14, 17)."""
        return self._due_from(facts, self._counting(facts))

    def _due_from(self, facts: ClockFacts, counting: _Counting) -> date | None:
        if facts.open_suspension is not None:
            return None
        if facts.extension is not None:
            return facts.extension.new_due_date
        return self._nth_counted_day(counting, self.term_days(facts.pqrd_type))

    def snapshot(self, facts: ClockFacts, at: datetime) -> ClockSnapshot:
        """The clock as of the Bogotá date of `at`, using only what was known by then."""
        today = bogota_date(at)
        known = facts.known_on(today)
        received = self.received_on(facts.filed_at)
        counting = self._counting(known, received)
        term = self.term_days(known.pqrd_type)
        elapsed = self._counted(counting, today)
        due = self._due_from(known, counting)
        if due is None:
            total = term
            left = term if self.settings.resume_mode is ResumeMode.RESTART else term - elapsed
            state = self._suspended_state(known, today)
        else:
            total = self._counted(counting, due)
            left = total - elapsed
            state = self._running_state(today, due)
        return ClockSnapshot(
            as_of=today,
            state=state,
            received_on=received,
            start=self.calendar.next_business_day(received),
            term_days=term,
            original_due_date=self.calendar.add_business_days(received, term),
            due_date=due,
            days_elapsed=elapsed,
            days_left=left,
            fraction_elapsed=(total - left) / total,
            extended=known.extension is not None,
        )

    def days_elapsed(self, facts: ClockFacts, at: datetime) -> int:
        """Business days of the term used up to and including the date of `at`."""
        return self.snapshot(facts, at).days_elapsed

    def business_days_left(self, facts: ClockFacts, at: datetime) -> int:
        """Business days left after the date of `at` (0 on the due date, negative when overdue)."""
        return self.snapshot(facts, at).days_left

    def fraction_elapsed(self, facts: ClockFacts, at: datetime) -> float:
        """Share of the term used (0.0 at receipt, 1.0 on the due date, > 1 when overdue)."""
        return self.snapshot(facts, at).fraction_elapsed

    # -- incomplete petitions (art. 17) ---------------------------------------------------------

    def completion_request_deadline(self, filed_at: datetime) -> date:
        """Last day to ask the citizen to complete: 10 business days after receipt (art. 17)."""
        received = self.received_on(filed_at)
        return self.calendar.add_business_days(received, self.settings.completion_request_days)

    def request_completion(self, facts: ClockFacts, requested_on: date) -> ClockFacts:
        """Suspend the clock with a completion request sent on `requested_on` (art. 17)."""
        if facts.open_suspension is not None:
            raise Conflict(
                "La petición ya espera que el ciudadano la complete.",
                code="already_suspended",
            )
        if facts.extension is not None:
            raise Conflict(
                "No se puede pedir completar una petición ya prorrogada.",
                code="completion_after_extension",
            )
        received = self.received_on(facts.filed_at)
        last_end = facts.suspensions[-1].resumed_on if facts.suspensions else None
        if requested_on < received or (last_end is not None and requested_on < last_end):
            raise InvalidInput(
                "La fecha del requerimiento es anterior a la petición.",
                code="invalid_date",
            )
        limit = self.completion_request_deadline(facts.filed_at)
        if requested_on > limit:
            raise Conflict(
                f"El requerimiento para completar debía enviarse a más tardar el {limit}.",
                code="completion_request_too_late",
                deadline=limit.isoformat(),
            )
        return replace(facts, suspensions=(*facts.suspensions, Suspension(requested_on)))

    def completion_deadline(self, suspension: Suspension) -> date:
        """Last day the citizen may complete: one calendar month (two if extended) (art. 17).

        A term in months ends on the same date of the later month (its last day if shorter)
        and, when that is not a business day, on the next business day (Código General del
        Proceso art. 118).
        """
        months = self.settings.completion_period_months
        if suspension.extended:
            months += self.settings.completion_extension_months
        end = add_months(suspension.suspended_on, months)
        return self.calendar.business_day_on_or_after(end)

    def lapse_date(self, suspension: Suspension) -> date:
        """The day the petition counts as withdrawn (desistido) if still unanswered (art. 17)."""
        return self.completion_deadline(suspension) + timedelta(days=1)

    def extend_completion_period(self, facts: ClockFacts, asked_on: date) -> ClockFacts:
        """Grant the citizen's one request, made before the period ends, for more time (art. 17)."""
        current = facts.open_suspension
        if current is None:
            raise Conflict("La petición no espera información del ciudadano.", code="not_suspended")
        if current.extended:
            raise Conflict(
                "El plazo para completar ya fue prorrogado una vez.",
                code="completion_period_already_extended",
            )
        if asked_on > self.completion_deadline(current):
            raise Conflict(
                "El plazo para completar ya venció.",
                code="completion_extension_too_late",
            )
        return _replace_last(facts, replace(current, extended=True))

    def record_completion(self, facts: ClockFacts, answered_on: date) -> ClockFacts:
        """The citizen completed on `answered_on`; the clock runs again the next day (art. 17)."""
        current = facts.open_suspension
        if current is None:
            raise Conflict("La petición no espera información del ciudadano.", code="not_suspended")
        if answered_on < current.suspended_on:
            raise InvalidInput("La respuesta es anterior al requerimiento.", code="invalid_date")
        return _replace_last(facts, replace(current, resumed_on=answered_on))

    # -- extension (art. 14 parágrafo) ----------------------------------------------------------

    def max_extension_due_date(self, facts: ClockFacts) -> date:
        """The latest due date an extension may set: twice the term (art. 14 parágrafo).

        By default counted from the original start (day 1); with FROM_ORIGINAL_DUE, twice the term
        is added after the original due date.
        """
        term = self.term_days(facts.pqrd_type)
        factor = 2 if self.settings.extension_mode is ExtensionMode.FROM_ORIGINAL_START else 3
        return self._nth_counted_day(self._counting(facts), factor * term)

    def grant_extension(
        self, facts: ClockFacts, granted_on: date, new_due_date: date, reasons: str
    ) -> ClockFacts:
        """Extend the term, notified to the citizen before the due date, with reasons (art. 14)."""
        if not reasons.strip():
            raise _reasons_required()
        if facts.extension is not None:
            raise Conflict("La petición ya fue prorrogada.", code="already_extended")
        known = facts.known_on(granted_on)
        due = self.effective_due_date(known)
        if due is None:
            raise Conflict(
                "No se puede prorrogar mientras se espera al ciudadano.",
                code="extension_while_suspended",
            )
        self._check_extension(known, granted_on, new_due_date, due)
        return replace(facts, extension=Extension(granted_on, new_due_date, reasons.strip()))

    def _check_extension(
        self,
        facts: ClockFacts,
        granted_on: date,
        new_due: date,
        due: date,
    ) -> None:
        if granted_on >= due:
            raise Conflict(
                f"La prórroga debía notificarse antes del vencimiento ({due}).",
                code="extension_too_late",
                due_date=due.isoformat(),
            )
        if new_due <= due or not self.calendar.is_business_day(new_due):
            raise InvalidInput(
                "La nueva fecha de vencimiento debe ser un día hábil posterior al vencimiento.",
                code="invalid_extension_date",
            )
        limit = self.max_extension_due_date(facts)
        if new_due > limit:
            raise Conflict(
                f"La prórroga no puede exceder el doble del término: a más tardar {limit}.",
                code="extension_too_long",
                max_due_date=limit.isoformat(),
            )

    # -- forwarding (art. 21) and deemed granting (art. 14 num. 1) ------------------------------

    def forwarding_deadline(self, facts: ClockFacts) -> date:
        """Last day to forward to the competent authority (art. 21): 5 business days.

        Filed verbally, at once: the day of receipt, or the next business day when that is not one.
        """
        received = self.received_on(facts.filed_at)
        settings = self.settings
        days = settings.verbal_forwarding_days if facts.verbal else settings.forwarding_days
        if days == 0:
            return self.calendar.business_day_on_or_after(received)
        return self.calendar.add_business_days(received, days)

    def deemed_granted_on(self, facts: ClockFacts) -> date:
        """The day an unanswered request for documents counts as granted (art. 14 num. 1)."""
        return self._documents_due(facts) + timedelta(days=1)

    def copies_due_date(self, facts: ClockFacts) -> date:
        """Last day to deliver copies of a deemed-granted request (art. 14 num. 1)."""
        days = self.settings.deemed_granted_copies_days
        return self.calendar.add_business_days(self._documents_due(facts), days)

    def _documents_due(self, facts: ClockFacts) -> date:
        if facts.pqrd_type is not PqrdType.PETICION_DOCUMENTOS:
            raise InvalidInput(
                "Solo una petición de documentos se entiende concedida por silencio.",
                code="not_a_documents_request",
            )
        due = self.effective_due_date(facts)
        if due is None:
            raise Conflict("La petición está suspendida.", code="suspended")
        return due

    # -- counting -------------------------------------------------------------------------------

    def _counting(self, facts: ClockFacts, received: date | None = None) -> _Counting:
        origin = self.received_on(facts.filed_at) if received is None else received
        windows = tuple((s.suspended_on, s.resumed_on) for s in facts.suspensions)
        if self.settings.resume_mode is ResumeMode.RESTART:
            closed = [r for _, r in windows if r is not None]
            if closed:
                origin = max(origin, closed[-1])
            windows = tuple(w for w in windows if w[0] >= origin)
        return _Counting(origin, windows)

    def _counted(self, counting: _Counting, day: date) -> int:
        """Counted days in (origin, day]."""
        between = self.calendar.business_days_between
        total, cursor = 0, counting.origin
        for suspended, resumed in counting.windows:
            if day <= suspended:
                break
            total += max(0, between(cursor, suspended))
            if resumed is None or day <= resumed:
                return total
            cursor = max(cursor, resumed)
        return total + max(0, between(cursor, day))

    def _nth_counted_day(self, counting: _Counting, n: int) -> date:
        """The n-th counted day after the origin; the clock must not be suspended."""
        cal = self.calendar
        cursor = counting.origin
        for suspended, resumed in counting.windows:
            available = max(0, cal.business_days_between(cursor, suspended))
            if n <= available:
                break
            if resumed is None:
                raise Conflict("La petición está suspendida.", code="suspended")
            n -= available
            cursor = max(cursor, resumed)
        return cal.add_business_days(cursor, n)

    def _suspended_state(self, facts: ClockFacts, today: date) -> ClockState:
        suspension = facts.open_suspension
        assert suspension is not None
        if today > self.completion_deadline(suspension):
            return ClockState.COMPLETION_EXPIRED
        return ClockState.SUSPENDED

    @staticmethod
    def _running_state(today: date, due: date) -> ClockState:
        if today > due:
            return ClockState.OVERDUE
        return ClockState.DUE_TODAY if today == due else ClockState.RUNNING


def _replace_last(facts: ClockFacts, suspension: Suspension) -> ClockFacts:
    return replace(facts, suspensions=(*facts.suspensions[:-1], suspension))
