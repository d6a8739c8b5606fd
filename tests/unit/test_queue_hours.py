"""Queues' business hours (routing.hours): open or closed at an instant, and the next opening.

Instants are written in UTC or in Bogotá (UTC-5, no daylight saving) on purpose: the rule reads
the Bogotá wall clock, whatever zone the instant comes in.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from contact_center.core.clock import BOGOTA, FakeClock
from contact_center.core.errors import InvalidInput
from contact_center.pqrd.domain.calendar import BusinessCalendar
from routing.hours import WeeklyHours, is_open, next_opening, opening, spanish_opening

OFFICE = {day: [("07:00", "12:00"), ("14:00", "17:00")] for day in ("mon", "tue", "wed", "thu", "fri")}
NIGHT = {"mon": [("22:00", "24:00")], "tue": [("00:00", "06:00")]}
MONDAYS = {"mon": [("07:00", "12:00")]}
CARNAVAL = BusinessCalendar(closures=[date(2026, 11, 25)])  # a Wednesday closed by decree
CO = BusinessCalendar()  # Colombian holidays, no closure day


def bog(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    """An instant on Bogotá's wall clock."""
    return datetime(y, mo, d, h, mi, s, tzinfo=BOGOTA)


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


b, u = bog, utc  # short names keep the table one case a line


# (case, hours, open_on_holidays, calendar, instant, open?, next opening)
CASES: list[tuple[str, dict[str, Any], bool, BusinessCalendar, datetime, bool, datetime | None]] = [
    ("no schedule: always open", {}, False, CO, b(2026, 12, 25, 3, 0), True, b(2026, 12, 25, 3, 0)),
    ("inside a morning slot", OFFICE, False, CO, b(2026, 11, 23, 10, 0), True, b(2026, 11, 23, 10, 0)),
    ("lunch gap", OFFICE, False, CO, b(2026, 11, 23, 12, 0), False, b(2026, 11, 23, 14, 0)),
    ("a slot's end is excluded", OFFICE, False, CO, b(2026, 11, 23, 17, 0), False, b(2026, 11, 24, 7, 0)),
    ("before opening", OFFICE, False, CO, b(2026, 11, 23, 6, 59, 59), False, b(2026, 11, 23, 7, 0)),
    ("Friday evening: Monday", OFFICE, False, CO, b(2026, 11, 27, 18, 0), False, b(2026, 11, 30, 7, 0)),
    ("weekend", OFFICE, False, CO, b(2026, 11, 28, 10, 0), False, b(2026, 11, 30, 7, 0)),
    # 15:00 UTC is 10:00 in Bogotá (open); 13:00 UTC is 08:00 (open); 22:00 UTC is 17:00 (closed).
    ("UTC instant, Bogotá hours", OFFICE, False, CO, u(2026, 11, 23, 15, 0), True, b(2026, 11, 23, 10, 0)),
    ("UTC 22:00 is 17:00 here", OFFICE, False, CO, u(2026, 11, 23, 22, 0), False, b(2026, 11, 24, 7, 0)),
    # Tuesday 03:30 UTC is still Monday 22:30 in Bogotá: the Monday night slot is open.
    ("UTC already Tuesday", NIGHT, False, CO, u(2026, 11, 24, 3, 30), True, b(2026, 11, 23, 22, 30)),
    ("night shift past midnight", NIGHT, False, CO, b(2026, 11, 24, 5, 59), True, b(2026, 11, 24, 5, 59)),
    ("night shift over", NIGHT, False, CO, b(2026, 11, 24, 6, 0), False, b(2026, 11, 30, 22, 0)),
    # 8 December 2026 (Inmaculada Concepción) is a Tuesday holiday.
    ("public holiday", OFFICE, False, CO, b(2026, 12, 8, 10, 0), False, b(2026, 12, 9, 7, 0)),
    ("holiday, queue open on them", OFFICE, True, CO, b(2026, 12, 8, 10, 0), True, b(2026, 12, 8, 10, 0)),
    ("eve of a holiday", OFFICE, False, CO, b(2026, 12, 7, 17, 30), False, b(2026, 12, 9, 7, 0)),
    ("closure day", OFFICE, False, CARNAVAL, b(2026, 11, 25, 9, 0), False, b(2026, 11, 26, 7, 0)),
    ("closure day, open anyway", OFFICE, True, CARNAVAL, b(2026, 11, 25, 9, 0), True, b(2026, 11, 25, 9, 0)),
    ("holiday Monday skipped", MONDAYS, False, CO, b(2027, 1, 5, 9, 0), False, b(2027, 1, 18, 7, 0)),
    ("a schedule with no slot never opens", {"mon": []}, False, CO, b(2026, 11, 23, 9, 0), False, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("hours", "on_holidays", "calendar", "instant", "expected_open", "expected_next"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_open_and_next_opening(
    hours: dict[str, Any],
    on_holidays: bool,
    calendar: BusinessCalendar,
    instant: datetime,
    expected_open: bool,
    expected_next: datetime | None,
) -> None:
    weekly = WeeklyHours.from_config(hours, open_on_holidays=on_holidays)
    assert is_open(weekly, calendar, instant) is expected_open
    assert next_opening(weekly, calendar, instant) == expected_next
    found = opening(weekly, calendar, instant)
    assert found.open is expected_open
    assert found.next_open == (None if expected_open else expected_next)


def test_opening_follows_a_fake_clock_through_a_day() -> None:
    clock = FakeClock(bog(2026, 11, 23, 6, 0))
    weekly = WeeklyHours.from_config(OFFICE)
    states = []
    for _ in range(12):
        states.append((clock.now().hour, is_open(weekly, CO, clock.now())))
        clock.advance(hours=1)
    opened = [hour for hour, is_open_then in states if is_open_then]
    assert opened == [7, 8, 9, 10, 11, 14, 15, 16]


def test_a_2025_holiday_moved_by_ley_emiliani_closes_its_monday() -> None:
    # San José (19 March 2025, a Wednesday) is observed on Monday 24 March 2025.
    weekly = WeeklyHours.from_config(OFFICE)
    assert not is_open(weekly, CO, bog(2025, 3, 24, 9, 0))
    assert is_open(weekly, CO, bog(2025, 3, 19, 9, 0))


def test_naive_instants_are_refused() -> None:
    with pytest.raises(InvalidInput):
        is_open(WeeklyHours.from_config(OFFICE), CO, datetime(2026, 11, 23, 9, 0))


def test_any_zone_reads_the_bogota_wall_clock() -> None:
    madrid = timezone(timedelta(hours=1))
    weekly = WeeklyHours.from_config(OFFICE)
    assert not is_open(weekly, CO, datetime(2026, 11, 23, 19, 0, tzinfo=madrid))  # 13:00 here: lunch
    assert is_open(weekly, CO, datetime(2026, 11, 23, 16, 0, tzinfo=madrid))  # 10:00 here


@pytest.mark.parametrize(
    ("next_open", "expected"),
    [
        (bog(2026, 11, 23, 14, 0), "hoy a las 2:00 p. m."),
        (bog(2026, 11, 24, 7, 0), "mañana a las 7:00 a. m."),
        (bog(2026, 11, 30, 7, 30), "el lunes 30 de noviembre a las 7:30 a. m."),
        (bog(2026, 12, 9, 12, 0), "el miércoles 9 de diciembre a las 12:00 p. m."),
        (None, "cuando se programe un nuevo horario de atención"),
    ],
)
def test_next_opening_in_spanish(next_open: datetime | None, expected: str) -> None:
    assert spanish_opening(next_open, bog(2026, 11, 23, 12, 30)) == expected
