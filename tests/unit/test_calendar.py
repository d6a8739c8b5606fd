"""The business calendar, checked against dates counted by hand.

Colombian holidays used below (holidays.CO, 0.109):
2026: Jan 1 Thu, Jan 12 Mon (Reyes, moved), Mar 23 Mon (San José, moved), Apr 2 Thu and
Apr 3 Fri (Semana Santa), May 1 Fri, May 18 Mon, Jun 8 Mon, Jun 15 Mon, Jun 29 Mon, Jul 13 Mon
(Chiquinquirá, new in 2026, moved from Jul 9), Jul 20 Mon, Aug 7 Fri, Aug 17 Mon, Oct 12 Mon,
Nov 2 Mon, Nov 16 Mon, Dec 8 Tue, Dec 25 Fri.
2027: Jan 1 Fri, Jan 11 Mon, Mar 22 Mon, Mar 25 Thu and Mar 26 Fri (Semana Santa), ...
Local closures in the Carnaval tests: 2027-01-04 and 2027-01-05 (Carnaval de Negros y Blancos).
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from contact_center.core.errors import InvalidInput
from contact_center.pqrd.domain.calendar import BusinessCalendar, bogota_date

CAL = BusinessCalendar()
CARNAVAL = BusinessCalendar({date(2027, 1, 4), date(2027, 1, 5)})
D = date


@pytest.mark.parametrize(
    ("calendar", "day", "expected"),
    [
        (CAL, D(2026, 4, 1), True),  # Holy Wednesday is worked
        (CAL, D(2026, 4, 2), False),  # Jueves Santo 2026
        (CAL, D(2026, 4, 3), False),  # Viernes Santo 2026
        (CAL, D(2027, 3, 25), False),  # Jueves Santo 2027
        (CAL, D(2027, 3, 26), False),  # Viernes Santo 2027
        (CAL, D(2026, 1, 6), True),  # Reyes falls on Tuesday 6 but moves to Monday 12
        (CAL, D(2026, 1, 12), False),  # ... the Emiliani Monday
        (CAL, D(2026, 3, 19), True),  # San José Thursday 19 moves to Monday 23
        (CAL, D(2026, 3, 23), False),
        (CAL, D(2026, 7, 9), True),  # Chiquinquirá (new in 2026) Thursday 9 moves ...
        (CAL, D(2026, 7, 13), False),  # ... to Monday 13
        (CAL, D(2026, 12, 8), False),  # Inmaculada, not movable
        (CAL, D(2026, 12, 26), False),  # Saturday
        (CAL, D(2026, 12, 27), False),  # Sunday
        (CAL, D(2027, 1, 4), True),  # an ordinary Monday without closures
        (CARNAVAL, D(2027, 1, 4), False),  # Carnaval closure
        (CARNAVAL, D(2027, 1, 5), False),  # Carnaval closure
        (CARNAVAL, D(2027, 1, 6), True),
    ],
    ids=[
        "holy-wednesday-2026",
        "jueves-santo-2026",
        "viernes-santo-2026",
        "jueves-santo-2027",
        "viernes-santo-2027",
        "reyes-original-date-worked",
        "reyes-emiliani-monday",
        "san-jose-original-date-worked",
        "san-jose-emiliani-monday",
        "chiquinquira-original-date-worked",
        "chiquinquira-2026-monday",
        "inmaculada-tuesday",
        "saturday",
        "sunday",
        "monday-without-closure",
        "carnaval-closure-jan-4",
        "carnaval-closure-jan-5",
        "after-carnaval",
    ],
)
def test_is_business_day(calendar: BusinessCalendar, day: date, expected: bool) -> None:
    assert calendar.is_business_day(day) is expected


@pytest.mark.parametrize(
    ("calendar", "day", "expected"),
    [
        (CAL, D(2026, 4, 1), D(2026, 4, 6)),  # Thu 2, Fri 3 Semana Santa, weekend -> Mon 6
        (CAL, D(2026, 12, 24), D(2026, 12, 28)),  # Fri 25 Christmas, weekend -> Mon 28
        (CAL, D(2026, 12, 31), D(2027, 1, 4)),  # Fri Jan 1, weekend -> Mon Jan 4
        (CARNAVAL, D(2026, 12, 31), D(2027, 1, 6)),  # ... and Jan 4, 5 closed -> Wed Jan 6
        (CAL, D(2026, 7, 10), D(2026, 7, 14)),  # weekend, Mon 13 Chiquinquirá -> Tue 14
        (CAL, D(2026, 3, 20), D(2026, 3, 24)),  # weekend, Mon 23 San José -> Tue 24
        (CAL, D(2026, 3, 14), D(2026, 3, 16)),  # Saturday -> Monday
    ],
    ids=[
        "over-semana-santa-2026",
        "over-christmas",
        "over-new-year",
        "over-new-year-and-carnaval",
        "over-chiquinquira",
        "over-san-jose",
        "from-saturday",
    ],
)
def test_next_business_day(calendar: BusinessCalendar, day: date, expected: date) -> None:
    assert calendar.next_business_day(day) == expected


@pytest.mark.parametrize(
    ("calendar", "day", "n", "expected"),
    [
        # Dec 31 (1), [Jan 1 holiday], Jan 4-8 (2-6), [Jan 11 holiday], Jan 12-15 (7-10),
        # Jan 18-22 (11-15)
        (CAL, D(2026, 12, 30), 15, D(2027, 1, 22)),
        # Dec 31 (1), [Jan 1, Jan 4-5 closed], Jan 6-8 (2-4), [Jan 11], Jan 12-15 (5-8),
        # Jan 18-22 (9-13), Jan 25-26 (14-15)
        (CARNAVAL, D(2026, 12, 30), 15, D(2027, 1, 26)),
        # Mar 30-Apr 1 (1-3), [Apr 2-3 Semana Santa], Apr 6-10 (4-8), Apr 13-14 (9-10)
        (CAL, D(2026, 3, 27), 10, D(2026, 4, 14)),
        # [Mar 22 San José], Mar 23-24 (1-2), [Mar 25-26 Semana Santa], Mar 29-31 (3-5)
        (CAL, D(2027, 3, 19), 5, D(2027, 3, 31)),
        (CAL, D(2026, 4, 4), 0, D(2026, 4, 4)),  # zero days: the day itself, even a Saturday
        (CAL, D(2026, 4, 6), -1, D(2026, 4, 1)),  # back over the weekend and Semana Santa
        # back: [Jan 1 holiday], Dec 31 (1), Dec 30 (2), Dec 29 (3)
        (CAL, D(2027, 1, 4), -3, D(2026, 12, 29)),
    ],
    ids=[
        "across-year-end",
        "across-year-end-with-carnaval",
        "across-semana-santa-2026",
        "across-san-jose-and-semana-santa-2027",
        "zero",
        "minus-one-over-semana-santa",
        "minus-three-across-year-end",
    ],
)
def test_add_business_days(calendar: BusinessCalendar, day: date, n: int, expected: date) -> None:
    assert calendar.add_business_days(day, n) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (D(2026, 3, 27), D(2026, 4, 14), 10),  # the Semana Santa count above
        (D(2026, 12, 30), D(2027, 1, 22), 15),  # the year-end count above
        (D(2026, 4, 14), D(2026, 3, 27), -10),  # reversed
        (D(2026, 4, 2), D(2026, 4, 5), 0),  # Fri 3 holiday, Sat 4, Sun 5
        (D(2026, 4, 6), D(2026, 4, 6), 0),
        # 2026 starts on a Thursday: 52 weeks + 1 day = 261 weekdays, minus 19 weekday holidays
        (D(2025, 12, 31), D(2026, 12, 31), 242),
    ],
    ids=["semana-santa", "year-end", "reversed", "only-non-business", "same-day", "all-of-2026"],
)
def test_business_days_between(start: date, end: date, expected: int) -> None:
    assert CAL.business_days_between(start, end) == expected


def test_business_days_lists_the_days_in_the_half_open_interval() -> None:
    days = list(CAL.business_days(D(2026, 3, 31), D(2026, 4, 7)))
    assert days == [D(2026, 4, 1), D(2026, 4, 6), D(2026, 4, 7)]


def test_holiday_names_are_spanish() -> None:
    assert "Chiquinquirá" in (CAL.holiday_name(D(2026, 7, 13)) or "")
    assert CAL.holiday_name(D(2026, 7, 14)) is None


def test_closures_are_kept_and_extended() -> None:
    more = CAL.with_closures({D(2026, 12, 7)})
    assert more.is_closure(D(2026, 12, 7))
    assert not more.is_business_day(D(2026, 12, 7))
    assert CAL.is_business_day(D(2026, 12, 7))  # the original calendar is unchanged


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        ("2026-03-11T04:30:00+00:00", D(2026, 3, 10)),  # 23:30 in Bogotá the day before
        ("2026-03-11T05:00:00Z", D(2026, 3, 11)),  # midnight in Bogotá
        ("2027-01-01T04:59:59Z", D(2026, 12, 31)),  # New Year's Eve in Bogotá
        ("2026-03-10T23:30:00-05:00", D(2026, 3, 10)),
    ],
    ids=["late-evening-utc", "bogota-midnight", "new-years-eve", "bogota-offset"],
)
def test_bogota_date(instant: str, expected: date) -> None:
    assert bogota_date(datetime.fromisoformat(instant)) == expected


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        bogota_date(datetime(2026, 3, 10, 12, 0))
    assert caught.value.code == "naive_datetime"


def test_a_datetime_is_not_taken_for_a_date() -> None:
    with pytest.raises(InvalidInput) as caught:
        CAL.is_business_day(datetime.fromisoformat("2026-03-11T04:30:00+00:00"))
    assert caught.value.code == "datetime_not_date"
