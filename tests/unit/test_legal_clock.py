"""The PQRD legal clock (Ley 1755 de 2015), checked against dates counted by hand.

Holidays used (holidays.CO): 2026 Mar 23 Mon, Apr 2-3 Thu-Fri (Semana Santa), May 1 Fri, May 18 Mon,
Jul 13 Mon, Jul 20 Mon, Dec 8 Tue, Dec 25 Fri; 2027 Jan 1 Fri, Jan 11 Mon, Mar 22 Mon, Mar 25-26.
Carnaval closures: 2027-01-04 and 2027-01-05. Day 0 is the day of receipt; "(n)" below is day n.

The reference petition of many tests: a `peticion` filed Tue 2026-03-10 at 10:00 in Bogotá.
Its 15 days: Mar 11-13 (1-3), Mar 16-20 (4-8), [Mar 23], Mar 24-27 (9-12), Mar 30-Apr 1 (13-15),
so it is due Wed 2026-04-01; then [Apr 2-3], Apr 6-10 (16-20), Apr 13-17 (21-25), Apr 20-24 (26-30),
Apr 27-30 (31-34), [May 1], May 4-8 (35-39), May 11-15 (40-44), [May 18], May 19 (45).
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import pytest

from contact_center.core.errors import Conflict, DomainError, InvalidInput
from contact_center.pqrd.domain.calendar import BusinessCalendar
from contact_center.pqrd.domain.legal_clock import (
    DEFAULT_TERMS,
    ClockFacts,
    ClockSettings,
    ClockState,
    ExtensionMode,
    LegalClock,
    PqrdType,
    PriorityFlag,
    ResumeMode,
    Suspension,
    add_months,
    parse_pqrd_type,
)

D = date
CAL = BusinessCalendar()
CARNAVAL = BusinessCalendar({D(2027, 1, 4), D(2027, 1, 5)})
CLOCK = LegalClock(CAL)
RESTART = LegalClock(CAL, ClockSettings(resume_mode=ResumeMode.RESTART))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


REFERENCE = ClockFacts(PqrdType.PETICION, at("2026-03-10T10:00:00-05:00"))


def facts(pqrd_type: PqrdType, filed_at: str, **kwargs: object) -> ClockFacts:
    return ClockFacts(pqrd_type, at(filed_at), **kwargs)  # type: ignore[arg-type]


def code_of(error: pytest.ExceptionInfo[DomainError]) -> str:
    return error.value.code


# -- receipt, start and due date ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clock", "pqrd_type", "filed_at", "received_on", "start", "due"),
    [
        # the reference petition (see the module docstring)
        (
            CLOCK,
            PqrdType.PETICION,
            "2026-03-10T10:00:00-05:00",
            D(2026, 3, 10),
            D(2026, 3, 11),
            D(2026, 4, 1),
        ),
        # 23:30 in Bogotá given in UTC (04:30Z the next day): still received on Mar 10
        (
            CLOCK,
            PqrdType.PETICION,
            "2026-03-11T04:30:00Z",
            D(2026, 3, 10),
            D(2026, 3, 11),
            D(2026, 4, 1),
        ),
        # Dec 31 (1), [Jan 1], Jan 4-8 (2-6), [Jan 11], Jan 12-15 (7-10), Jan 18-22 (11-15)
        (
            CLOCK,
            PqrdType.PETICION,
            "2026-12-30T09:00:00-05:00",
            D(2026, 12, 30),
            D(2026, 12, 31),
            D(2027, 1, 22),
        ),
        # same with Carnaval: Dec 31 (1), [Jan 1, 4, 5], Jan 6-8 (2-4), [Jan 11], Jan 12-15 (5-8),
        # Jan 18-22 (9-13), Jan 25-26 (14-15)
        (
            LegalClock(CARNAVAL),
            PqrdType.PETICION,
            "2026-12-30T09:00:00-05:00",
            D(2026, 12, 30),
            D(2026, 12, 31),
            D(2027, 1, 26),
        ),
        # Fri Mar 27: Mar 30-Apr 1 (1-3), [Apr 2-3 Semana Santa], Apr 6-10 (4-8), Apr 13-14 (9-10)
        (
            CLOCK,
            PqrdType.PETICION_DOCUMENTOS,
            "2026-03-27T10:00:00-05:00",
            D(2026, 3, 27),
            D(2026, 3, 30),
            D(2026, 4, 14),
        ),
        # ... Apr 15-17 (11-13), Apr 20-24 (14-18), Apr 27-30 (19-22), [May 1], May 4-8 (23-27),
        # May 11-13 (28-30)
        (
            CLOCK,
            PqrdType.CONSULTA,
            "2026-03-27T10:00:00-05:00",
            D(2026, 3, 27),
            D(2026, 3, 30),
            D(2026, 5, 13),
        ),
        # Saturday Mar 14: Mar 16-20 (1-5), [Mar 23], Mar 24-27 (6-9), Mar 30-Apr 1 (10-12),
        # [Apr 2-3], Apr 6-8 (13-15)
        (
            CLOCK,
            PqrdType.PETICION,
            "2026-03-14T11:00:00-05:00",
            D(2026, 3, 14),
            D(2026, 3, 16),
            D(2026, 4, 8),
        ),
        # Maundy Thursday Apr 2: Apr 6-10 (1-5), Apr 13-17 (6-10), Apr 20-24 (11-15)
        (
            CLOCK,
            PqrdType.PETICION,
            "2026-04-02T08:00:00-05:00",
            D(2026, 4, 2),
            D(2026, 4, 6),
            D(2026, 4, 24),
        ),
        # Fri Mar 19 2027: [Mar 22 San José], Mar 23-24 (1-2), [Mar 25-26 Semana Santa],
        # Mar 29-Apr 2 (3-7), Apr 5-7 (8-10)
        (
            CLOCK,
            PqrdType.PETICION_AUTORIDAD,
            "2027-03-19T10:00:00-05:00",
            D(2027, 3, 19),
            D(2027, 3, 23),
            D(2027, 4, 7),
        ),
        # Wed Jul 8: Jul 9-10 (1-2), [Jul 13 Chiquinquirá], Jul 14-17 (3-6), [Jul 20],
        # Jul 21-24 (7-10), Jul 27-31 (11-15)
        (
            CLOCK,
            PqrdType.QUEJA,
            "2026-07-08T10:00:00-05:00",
            D(2026, 7, 8),
            D(2026, 7, 9),
            D(2026, 7, 31),
        ),
    ],
    ids=[
        "reference-petition",
        "late-evening-given-in-utc",
        "across-year-end",
        "across-year-end-with-carnaval-closures",
        "documents-over-semana-santa-2026",
        "consulta-30-days",
        "filed-on-saturday",
        "filed-on-maundy-thursday",
        "authority-over-semana-santa-2027",
        "queja-over-emiliani-mondays",
    ],
)
def test_deadline(
    clock: LegalClock, pqrd_type: PqrdType, filed_at: str, received_on: date, start: date, due: date
) -> None:
    deadline = clock.deadline(pqrd_type, at(filed_at))
    assert (deadline.received_on, deadline.start, deadline.due_date) == (received_on, start, due)
    assert deadline.term_days == DEFAULT_TERMS[pqrd_type]
    assert clock.due_date(pqrd_type, at(filed_at)) == due


@pytest.mark.parametrize(
    ("settings", "filed_at", "received_on", "due"),
    [
        # Saturday Mar 14 counted as received Mon Mar 16: Mar 17-20 (1-4), [Mar 23],
        # Mar 24-27 (5-8), Mar 30-Apr 1 (9-11), [Apr 2-3], Apr 6-9 (12-15)
        (
            ClockSettings(non_business_filing_counts_next_business_day=True),
            "2026-03-14T11:00:00-05:00",
            D(2026, 3, 16),
            D(2026, 4, 9),
        ),
        # a business day is unaffected by that setting
        (
            ClockSettings(non_business_filing_counts_next_business_day=True),
            "2026-03-10T10:00:00-05:00",
            D(2026, 3, 10),
            D(2026, 4, 1),
        ),
        # cut-off 17:00, filed 17:30 Tue Mar 10 -> received Wed Mar 11: Mar 12-13 (1-2),
        # Mar 16-20 (3-7), [Mar 23], Mar 24-27 (8-11), Mar 30-Apr 1 (12-14), [Apr 2-3], Apr 6 (15)
        (ClockSettings(cutoff_hour=17), "2026-03-10T17:30:00-05:00", D(2026, 3, 11), D(2026, 4, 6)),
        # cut-off 17:00, filed 16:59: its own date
        (ClockSettings(cutoff_hour=17), "2026-03-10T16:59:00-05:00", D(2026, 3, 10), D(2026, 4, 1)),
        # cut-off 17:00, Thu Dec 24 at 22:00 -> next business day: [Dec 25, weekend] Mon Dec 28;
        # Dec 29-31 (1-3), [Jan 1], Jan 4-8 (4-8), [Jan 11], Jan 12-15 (9-12), Jan 18-20 (13-15)
        (ClockSettings(cutoff_hour=17), "2026-12-25T03:00:00Z", D(2026, 12, 28), D(2027, 1, 20)),
    ],
    ids=[
        "saturday-counts-from-monday",
        "business-day-unchanged",
        "after-cutoff",
        "before-cutoff",
        "after-cutoff-on-christmas-eve-in-utc",
    ],
)
def test_receipt_settings(
    settings: ClockSettings,
    filed_at: str,
    received_on: date,
    due: date,
) -> None:
    clock = LegalClock(CAL, settings)
    assert clock.received_on(at(filed_at)) == received_on
    assert clock.due_date(PqrdType.PETICION, at(filed_at)) == due


def test_an_administrator_can_override_a_term() -> None:
    settings = ClockSettings().with_terms({"consulta": 20})
    clock = LegalClock(CAL, settings)
    assert settings.terms[PqrdType.CONSULTA] == 20
    assert settings.terms[PqrdType.PETICION] == 15  # the rest keep their defaults
    # Fri Mar 27 + 20: ... Apr 14 (10), Apr 15-17 (11-13), Apr 20-24 (14-18), Apr 27-28 (19-20)
    assert clock.due_date(PqrdType.CONSULTA, at("2026-03-27T10:00:00-05:00")) == D(2026, 4, 28)


@pytest.mark.parametrize("flag", list(PriorityFlag), ids=[f.value for f in PriorityFlag])
def test_priority_flags_never_change_the_term(flag: PriorityFlag) -> None:
    flagged = dataclasses.replace(REFERENCE, priority_flags=frozenset({flag}))
    assert CLOCK.effective_due_date(flagged) == D(2026, 4, 1)
    when = at("2026-03-18T12:00:00-05:00")
    assert CLOCK.snapshot(flagged, when) == CLOCK.snapshot(REFERENCE, when)


def test_naive_datetimes_are_refused_everywhere() -> None:
    naive = datetime(2026, 3, 10, 10, 0)
    with pytest.raises(InvalidInput) as received:
        CLOCK.received_on(naive)
    with pytest.raises(InvalidInput) as facts_error:
        ClockFacts(PqrdType.PETICION, naive)
    with pytest.raises(InvalidInput) as snapshot:
        CLOCK.snapshot(REFERENCE, naive)
    assert {code_of(received), code_of(facts_error), code_of(snapshot)} == {"naive_datetime"}


# -- days elapsed and left ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "state", "elapsed", "left", "fraction"),
    [
        ("2026-03-10T15:00:00-05:00", ClockState.RUNNING, 0, 15, 0.0),  # day of receipt
        ("2026-03-11T12:00:00-05:00", ClockState.RUNNING, 1, 14, 1 / 15),  # day 1
        ("2026-03-18T12:00:00-05:00", ClockState.RUNNING, 6, 9, 0.4),  # Mar 11-13, 16-18
        ("2026-03-21T12:00:00-05:00", ClockState.RUNNING, 8, 7, 8 / 15),  # Saturday after day 8
        # 21:00 on the San José holiday Mon Mar 23, given in UTC: still day 8
        ("2026-03-24T02:00:00Z", ClockState.RUNNING, 8, 7, 8 / 15),
        ("2026-04-01T08:00:00-05:00", ClockState.DUE_TODAY, 15, 0, 1.0),
        ("2026-04-02T08:00:00-05:00", ClockState.OVERDUE, 15, 0, 1.0),  # holiday after the due date
        ("2026-04-06T08:00:00-05:00", ClockState.OVERDUE, 16, -1, 16 / 15),
    ],
    ids=[
        "receipt-day",
        "day-1",
        "day-6",
        "saturday",
        "holiday-evening-in-utc",
        "due-today",
        "holiday-after-due",
        "one-day-late",
    ],
)
def test_snapshot_of_the_reference_petition(
    instant: str, state: ClockState, elapsed: int, left: int, fraction: float
) -> None:
    snap = CLOCK.snapshot(REFERENCE, at(instant))
    assert (snap.state, snap.days_elapsed, snap.days_left) == (state, elapsed, left)
    assert snap.fraction_elapsed == pytest.approx(fraction)
    assert snap.due_date == D(2026, 4, 1)
    assert CLOCK.business_days_left(REFERENCE, at(instant)) == left
    assert CLOCK.fraction_elapsed(REFERENCE, at(instant)) == pytest.approx(fraction)
    assert CLOCK.days_elapsed(REFERENCE, at(instant)) == elapsed


# -- incomplete petitions (art. 17) ---------------------------------------------------------------

# Requested Fri Mar 13 (day 3 used: Mar 11-13), answered Mon Apr 6.
SUSPENDED = dataclasses.replace(REFERENCE, suspensions=(Suspension(D(2026, 3, 13)),))
RESUMED = dataclasses.replace(REFERENCE, suspensions=(Suspension(D(2026, 3, 13), D(2026, 4, 6)),))


def test_completion_request_deadline_is_10_business_days_after_receipt() -> None:
    # Mar 11-13 (1-3), Mar 16-20 (4-8), [Mar 23], Mar 24-25 (9-10)
    assert CLOCK.completion_request_deadline(REFERENCE.filed_at) == D(2026, 3, 25)


@pytest.mark.parametrize(
    "requested_on",
    [D(2026, 3, 10), D(2026, 3, 13), D(2026, 3, 25)],
    ids=["on-receipt-day", "day-3", "day-10-last-allowed"],
)
def test_completion_request_in_time_suspends(requested_on: date) -> None:
    updated = CLOCK.request_completion(REFERENCE, requested_on)
    assert updated.open_suspension == Suspension(requested_on)
    assert CLOCK.effective_due_date(updated) is None


def test_completion_request_too_late_is_refused() -> None:
    with pytest.raises(Conflict) as caught:
        CLOCK.request_completion(REFERENCE, D(2026, 3, 26))  # day 11
    assert code_of(caught) == "completion_request_too_late"


@pytest.mark.parametrize(
    ("clock", "expected_due"),
    [
        # 12 days left after Mar 13; from the day after Apr 6: Apr 7-10 (1-4), Apr 13-17 (5-9),
        # Apr 20-22 (10-12)
        (CLOCK, D(2026, 4, 22)),
        # full 15 again from the day after Apr 6: ... Apr 20-24 (10-14), Apr 27 (15)
        (RESTART, D(2026, 4, 27)),
    ],
    ids=["remaining", "restart"],
)
def test_resumption(clock: LegalClock, expected_due: date) -> None:
    suspended = clock.request_completion(REFERENCE, D(2026, 3, 13))
    resumed = clock.record_completion(suspended, D(2026, 4, 6))
    assert resumed == RESUMED
    assert clock.effective_due_date(resumed) == expected_due


@pytest.mark.parametrize(
    ("clock", "instant", "state", "due", "elapsed", "left"),
    [
        (CLOCK, "2026-03-12T12:00:00-05:00", ClockState.RUNNING, D(2026, 4, 1), 2, 13),  # not yet
        (CLOCK, "2026-03-20T12:00:00-05:00", ClockState.SUSPENDED, None, 3, 12),
        (RESTART, "2026-03-20T12:00:00-05:00", ClockState.SUSPENDED, None, 3, 15),
        # answered today: running again (from tomorrow) with 12 days left, Apr 7-22
        (CLOCK, "2026-04-06T12:00:00-05:00", ClockState.RUNNING, D(2026, 4, 22), 3, 12),
        # Mar 11-13 (3) + Apr 7-8 (2); left: Apr 9-10, 13-17, 20-22 = 10
        (CLOCK, "2026-04-08T12:00:00-05:00", ClockState.RUNNING, D(2026, 4, 22), 5, 10),
        # restart: Apr 7-8 (2) of 15
        (RESTART, "2026-04-08T12:00:00-05:00", ClockState.RUNNING, D(2026, 4, 27), 2, 13),
    ],
    ids=[
        "before-the-request",
        "suspended-remaining",
        "suspended-restart",
        "answered-today",
        "running-again-remaining",
        "running-again-restart",
    ],
)
def test_snapshot_around_a_suspension(
    clock: LegalClock, instant: str, state: ClockState, due: date | None, elapsed: int, left: int
) -> None:
    snap = clock.snapshot(RESUMED, at(instant))
    assert (snap.state, snap.due_date, snap.days_elapsed, snap.days_left) == (
        state,
        due,
        elapsed,
        left,
    )


def test_an_answer_the_same_day_leaves_the_due_date_unchanged() -> None:
    answered_at_once = Suspension(D(2026, 3, 13), D(2026, 3, 13))
    same_day = dataclasses.replace(REFERENCE, suspensions=(answered_at_once,))
    assert CLOCK.effective_due_date(same_day) == D(2026, 4, 1)


@pytest.mark.parametrize(
    ("suspension", "deadline", "lapse"),
    [
        (Suspension(D(2026, 3, 13)), D(2026, 4, 13), D(2026, 4, 14)),  # Mon Apr 13 is business
        (Suspension(D(2026, 3, 13), extended=True), D(2026, 5, 13), D(2026, 5, 14)),  # 2 months
        # Jul 12 is a Sunday, Mon Jul 13 Chiquinquirá -> Tue Jul 14
        (Suspension(D(2026, 6, 12)), D(2026, 7, 14), D(2026, 7, 15)),
        # Jan 29 + 1 month -> Feb 28 2027 (no Feb 29), a Sunday -> Mon Mar 1
        (Suspension(D(2027, 1, 29)), D(2027, 3, 1), D(2027, 3, 2)),
    ],
    ids=["one-month", "extended-once", "ends-on-weekend-then-holiday", "short-february"],
)
def test_completion_deadline_and_lapse(suspension: Suspension, deadline: date, lapse: date) -> None:
    assert CLOCK.completion_deadline(suspension) == deadline
    assert CLOCK.lapse_date(suspension) == lapse


@pytest.mark.parametrize(
    ("instant", "state"),
    [
        ("2026-04-13T18:00:00-05:00", ClockState.SUSPENDED),  # last day to answer
        ("2026-04-14T08:00:00-05:00", ClockState.COMPLETION_EXPIRED),  # lapse: desistimiento due
    ],
    ids=["last-day", "lapsed"],
)
def test_lapse_shows_in_the_snapshot(instant: str, state: ClockState) -> None:
    assert CLOCK.snapshot(SUSPENDED, at(instant)).state is state


def test_the_citizen_may_extend_the_completion_period_once_in_time() -> None:
    extended = CLOCK.extend_completion_period(SUSPENDED, D(2026, 4, 13))
    assert extended.open_suspension == Suspension(D(2026, 3, 13), extended=True)
    with pytest.raises(Conflict) as twice:
        CLOCK.extend_completion_period(extended, D(2026, 4, 20))
    with pytest.raises(Conflict) as late:
        CLOCK.extend_completion_period(SUSPENDED, D(2026, 4, 14))
    assert code_of(twice) == "completion_period_already_extended"
    assert code_of(late) == "completion_extension_too_late"


@pytest.mark.parametrize(
    ("action", "code"),
    [
        (lambda: CLOCK.request_completion(SUSPENDED, D(2026, 3, 16)), "already_suspended"),
        (lambda: CLOCK.record_completion(REFERENCE, D(2026, 3, 16)), "not_suspended"),
        (lambda: CLOCK.record_completion(SUSPENDED, D(2026, 3, 12)), "invalid_date"),
        (lambda: CLOCK.request_completion(REFERENCE, D(2026, 3, 9)), "invalid_date"),
        (
            lambda: ClockFacts(
                PqrdType.PETICION,
                at("2026-03-10T10:00:00-05:00"),
                suspensions=(Suspension(D(2026, 3, 13)), Suspension(D(2026, 3, 16))),
            ),
            "invalid_suspensions",
        ),
    ],
    ids=[
        "request-while-suspended",
        "answer-without-request",
        "answer-before-request",
        "request-before-receipt",
        "open-suspension-not-last",
    ],
)
def test_invalid_completion_steps(action: object, code: str) -> None:
    with pytest.raises(DomainError) as caught:
        action()  # type: ignore[operator]
    assert code_of(caught) == code


# -- extension (art. 14 parágrafo) ----------------------------------------------------------------


def test_extension_allowed_within_twice_the_term() -> None:
    # 2 x 15 = 30 counted days from day 1: Apr 24 (see the module docstring)
    assert CLOCK.max_extension_due_date(REFERENCE) == D(2026, 4, 24)
    extended = CLOCK.grant_extension(REFERENCE, D(2026, 3, 31), D(2026, 4, 24), "Visita técnica")
    assert CLOCK.effective_due_date(extended) == D(2026, 4, 24)
    snap = CLOCK.snapshot(extended, at("2026-04-06T10:00:00-05:00"))
    # elapsed: days 1-16 (Apr 6 is day 16); left: Apr 7-10, 13-17, 20-24 = 14; 16 of 30
    assert (snap.state, snap.days_elapsed, snap.days_left, snap.extended) == (
        ClockState.RUNNING,
        16,
        14,
        True,
    )
    assert snap.fraction_elapsed == pytest.approx(16 / 30)
    assert snap.original_due_date == D(2026, 4, 1)


@pytest.mark.parametrize(
    ("clock", "granted_on", "new_due", "reasons", "error", "code"),
    [
        (CLOCK, D(2026, 4, 1), D(2026, 4, 24), "Motivos", Conflict, "extension_too_late"),  # on due
        (CLOCK, D(2026, 4, 2), D(2026, 4, 24), "Motivos", Conflict, "extension_too_late"),  # after
        (
            CLOCK,
            D(2026, 3, 31),
            D(2026, 4, 27),
            "Motivos",
            Conflict,
            "extension_too_long",
        ),  # day 31
        (CLOCK, D(2026, 3, 31), D(2026, 4, 10), "   ", InvalidInput, "extension_reasons_required"),
        (CLOCK, D(2026, 3, 31), D(2026, 4, 4), "Motivos", InvalidInput, "invalid_extension_date"),
        (CLOCK, D(2026, 3, 31), D(2026, 3, 31), "Motivos", InvalidInput, "invalid_extension_date"),
        # twice the term added after the due date: day 45 is May 19, so May 20 is too long
        (
            LegalClock(CAL, ClockSettings(extension_mode=ExtensionMode.FROM_ORIGINAL_DUE)),
            D(2026, 3, 31),
            D(2026, 5, 20),
            "Motivos",
            Conflict,
            "extension_too_long",
        ),
    ],
    ids=[
        "on-the-due-date",
        "after-the-due-date",
        "beyond-twice-the-term",
        "without-reasons",
        "new-due-on-saturday",
        "new-due-not-later",
        "beyond-twice-added",
    ],
)
def test_extension_refused(
    clock: LegalClock,
    granted_on: date,
    new_due: date,
    reasons: str,
    error: type[DomainError],
    code: str,
) -> None:
    with pytest.raises(error) as caught:
        clock.grant_extension(REFERENCE, granted_on, new_due, reasons)
    assert code_of(caught) == code


def test_extension_twice_added_mode_allows_day_45() -> None:
    clock = LegalClock(CAL, ClockSettings(extension_mode=ExtensionMode.FROM_ORIGINAL_DUE))
    extended = clock.grant_extension(REFERENCE, D(2026, 3, 31), D(2026, 5, 19), "Motivos")
    assert clock.effective_due_date(extended) == D(2026, 5, 19)


def test_extension_after_a_completed_petition_counts_around_the_suspension() -> None:
    # 3 days before the request, then 27 from Apr 7: Apr 7-22 (12), Apr 23-24 (14), Apr 27-30 (18),
    # [May 1], May 4-8 (23), May 11-14 (27)
    assert CLOCK.max_extension_due_date(RESUMED) == D(2026, 5, 14)


@pytest.mark.parametrize(
    ("start", "action", "code"),
    [
        (SUSPENDED, "extend", "extension_while_suspended"),
        ("extended", "extend", "already_extended"),
        ("extended", "request", "completion_after_extension"),
    ],
    ids=["while-suspended", "twice", "completion-after-extension"],
)
def test_extension_conflicts(start: object, action: str, code: str) -> None:
    base = (
        CLOCK.grant_extension(REFERENCE, D(2026, 3, 20), D(2026, 4, 10), "Motivos")
        if start == "extended"
        else start
    )
    assert isinstance(base, ClockFacts)
    with pytest.raises(Conflict) as caught:
        if action == "extend":
            CLOCK.grant_extension(base, D(2026, 3, 24), D(2026, 4, 15), "Motivos")
        else:
            CLOCK.request_completion(base, D(2026, 3, 24))
    assert code_of(caught) == code


# -- forwarding (art. 21) and deemed granting (art. 14 num. 1) ------------------------------------


@pytest.mark.parametrize(
    ("filed_at", "verbal", "expected"),
    [
        # Fri Mar 27: Mar 30-Apr 1 (1-3), [Apr 2-3], Apr 6-7 (4-5)
        ("2026-03-27T10:00:00-05:00", False, D(2026, 4, 7)),
        # Dec 30: Dec 31 (1), [Jan 1], Jan 4-7 (2-5)
        ("2026-12-30T10:00:00-05:00", False, D(2027, 1, 7)),
        ("2026-03-10T10:00:00-05:00", True, D(2026, 3, 10)),  # verbal: the same day
        ("2026-03-14T10:00:00-05:00", True, D(2026, 3, 16)),  # verbal on Saturday: Monday
        # verbal at 23:30 Bogotá on Dec 31, given in UTC: still Dec 31, a business day
        ("2027-01-01T04:30:00Z", True, D(2026, 12, 31)),
    ],
    ids=["written", "written-across-year-end", "verbal", "verbal-on-saturday", "verbal-in-utc"],
)
def test_forwarding_deadline(filed_at: str, verbal: bool, expected: date) -> None:
    assert CLOCK.forwarding_deadline(facts(PqrdType.PETICION, filed_at, verbal=verbal)) == expected


@pytest.mark.parametrize(
    ("calendar", "filed_at", "granted", "copies"),
    [
        # due Tue Apr 14 (Semana Santa count); granted the next day; copies Apr 15-17
        (CAL, "2026-03-27T10:00:00-05:00", D(2026, 4, 15), D(2026, 4, 17)),
        # Thu Dec 17: Dec 18 (1), Dec 21-24 (2-5), [Dec 25], Dec 28-31 (6-9), [Jan 1], Jan 4 (10);
        # copies Jan 5-7
        (CAL, "2026-12-17T10:00:00-05:00", D(2027, 1, 5), D(2027, 1, 7)),
        # with Carnaval Jan 4-5 closed: due Jan 6 (10); copies Jan 7, 8, [Jan 11], Jan 12
        (CARNAVAL, "2026-12-17T10:00:00-05:00", D(2027, 1, 7), D(2027, 1, 12)),
    ],
    ids=["over-semana-santa", "across-year-end", "across-year-end-with-carnaval"],
)
def test_deemed_granted(
    calendar: BusinessCalendar,
    filed_at: str,
    granted: date,
    copies: date,
) -> None:
    clock = LegalClock(calendar)
    documents = facts(PqrdType.PETICION_DOCUMENTOS, filed_at)
    assert clock.deemed_granted_on(documents) == granted
    assert clock.copies_due_date(documents) == copies


def test_only_documents_requests_are_deemed_granted() -> None:
    with pytest.raises(InvalidInput) as caught:
        CLOCK.deemed_granted_on(REFERENCE)
    assert code_of(caught) == "not_a_documents_request"


# -- settings and helpers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"cutoff_hour": 0}, "invalid_cutoff"),
        ({"cutoff_hour": 24}, "invalid_cutoff"),
        ({"terms": {"peticion": 0}}, "invalid_term"),
        ({"terms": {"tutela": 10}}, "unknown_pqrd_type"),
        ({"forwarding_days": -1}, "invalid_setting"),
    ],
    ids=["cutoff-zero", "cutoff-24", "zero-term", "unknown-type", "negative-days"],
)
def test_invalid_settings(kwargs: dict[str, object], code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        ClockSettings(**kwargs)  # type: ignore[arg-type]
    assert code_of(caught) == code


def test_settings_defaults_and_immutability() -> None:
    settings = ClockSettings()
    assert settings.extension_mode is ExtensionMode.FROM_ORIGINAL_START
    assert settings.resume_mode is ResumeMode.REMAINING
    assert settings.cutoff_hour is None
    assert settings.non_business_filing_counts_next_business_day is False
    assert (settings.completion_request_days, settings.completion_period_months) == (10, 1)
    assert (settings.forwarding_days, settings.verbal_forwarding_days) == (5, 0)
    assert settings.deemed_granted_copies_days == 3
    assert dict(settings.terms) == {
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
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.cutoff_hour = 17  # type: ignore[misc]


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),
        (D(2026, 12, 15), 1, D(2027, 1, 15)),
        (D(2026, 11, 30), 3, D(2027, 2, 28)),
    ],
    ids=["short-month", "leap-year", "across-year-end", "three-months"],
)
def test_add_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_parse_pqrd_type() -> None:
    assert parse_pqrd_type("consulta") is PqrdType.CONSULTA
    with pytest.raises(InvalidInput) as caught:
        parse_pqrd_type("tutela")
    assert code_of(caught) == "unknown_pqrd_type"
