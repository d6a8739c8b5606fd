"""The PQRD legal clock (docs/legal-clock.md): terms in business days under Ley 1755 de 2015.

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

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from contact_center.core.clock import BOGOTA
from contact_center.core.errors import Conflict, InvalidInput
from contact_center.pqrd.domain.calendar import BusinessCalendar, bogota_date
from contact_center.pqrd.domain.clock_facts import (
    DEFAULT_TERMS,
    PQRD_TYPE_LABELS,
    ClockFacts,
    ClockSettings,
    ClockSnapshot,
    ClockState,
    Deadline,
    Extension,
    ExtensionMode,
    PqrdType,
    PriorityFlag,
    ResumeMode,
    Suspension,
    _reasons_required,
    parse_pqrd_type,
)


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


__all__ = [
    "DEFAULT_TERMS",
    "PQRD_TYPE_LABELS",
    "ClockFacts",
    "ClockSettings",
    "ClockSnapshot",
    "ClockState",
    "Deadline",
    "Extension",
    "ExtensionMode",
    "LegalClock",
    "PqrdType",
    "PriorityFlag",
    "ResumeMode",
    "Suspension",
    "add_months",
    "parse_pqrd_type",
]
