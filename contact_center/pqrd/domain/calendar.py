"""The business calendar: which days are días hábiles for the Alcaldía de Pasto.

A business day is Monday to Friday, minus Colombian public holidays (the `holidays` package,
country "CO", which knows the Ley Emiliani moves and the holiday added in 2026), minus the local
closure days an administrator records (municipal decrees, for example Carnaval de Negros y Blancos).
Dates are calendar dates in America/Bogota; `bogota_date` turns an aware instant into one.

The calendar is pure and immutable once built. Business days are indexed once per year (a sorted
list of ordinals), so `add_business_days` and `business_days_between` are a bisect or two, fast
enough for deadline sweeps over a million tickets.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from types import MappingProxyType

import holidays

from contact_center.core.clock import BOGOTA
from contact_center.core.errors import InvalidInput

_SATURDAY = 5


@lru_cache(maxsize=512)
def colombian_holidays(year: int) -> Mapping[date, str]:
    """Colombian public holidays of `year`, with their Spanish names (cached per year)."""
    return MappingProxyType(dict(holidays.country_holidays("CO", years=year, language="es")))


def bogota_date(instant: datetime) -> date:
    """The calendar date of an aware instant in America/Bogota; naive datetimes are refused."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise InvalidInput(
            "La fecha y hora debe indicar su zona horaria.",
            code="naive_datetime",
            value=str(instant),
        )
    return instant.astimezone(BOGOTA).date()


def _plain(day: date) -> date:
    # A datetime is a date subclass; taking its .date() silently would ignore the time zone.
    if isinstance(day, datetime):
        raise InvalidInput(
            "Se esperaba una fecha sin hora; use bogota_date() para convertir un instante.",
            code="datetime_not_date",
            value=str(day),
        )
    return day


@dataclass(frozen=True, slots=True)
class _Year:
    ordinals: list[int]  # business days of the year, ascending, as date ordinals
    members: frozenset[int]


class BusinessCalendar:
    """Días hábiles: Monday–Friday minus Colombian holidays minus local closure days."""

    def __init__(self, closures: Iterable[date] = ()) -> None:
        self._closures = frozenset(_plain(day) for day in closures)
        self._years: dict[int, _Year] = {}

    @property
    def closures(self) -> frozenset[date]:
        """The local closure days (municipal decrees) this calendar treats as non-business."""
        return self._closures

    def with_closures(self, extra: Iterable[date]) -> BusinessCalendar:
        """A new calendar with more local closure days."""
        return BusinessCalendar(self._closures | frozenset(extra))

    def holiday_name(self, day: date) -> str | None:
        """The Spanish name of the national holiday on `day`, or None."""
        return colombian_holidays(_plain(day).year).get(day)

    def is_closure(self, day: date) -> bool:
        """Whether `day` is a local closure day recorded by the administrator."""
        return _plain(day) in self._closures

    def is_business_day(self, day: date) -> bool:
        """Whether `day` is a día hábil."""
        day = _plain(day)
        return day.toordinal() in self._year(day.year).members

    def next_business_day(self, day: date) -> date:
        """The first business day strictly after `day`."""
        return self.add_business_days(day, 1)

    def previous_business_day(self, day: date) -> date:
        """The last business day strictly before `day`."""
        return self.add_business_days(day, -1)

    def business_day_on_or_after(self, day: date) -> date:
        """`day` itself when it is a business day, otherwise the next one."""
        return day if self.is_business_day(day) else self.next_business_day(day)

    def add_business_days(self, day: date, n: int) -> date:
        """The n-th business day after `day` (before it when n < 0); `day` itself when n == 0.

        `day` need not be a business day: the 1st business day after a Saturday is the next Monday
        that is not a holiday or closure.
        """
        day = _plain(day)
        if n > 0:
            return self._forward(day, n)
        if n < 0:
            return self._backward(day, -n)
        return day

    def business_days_between(self, start: date, end: date) -> int:
        """How many business days fall in (start, end]: after `start`, up to and including `end`.

        Negative when `end` is before `start`. It inverts `add_business_days`:
        `business_days_between(d, add_business_days(d, n)) == n`.
        """
        start, end = _plain(start), _plain(end)
        if end < start:
            return -self.business_days_between(end, start)
        count = bisect_right(self._year(end.year).ordinals, end.toordinal())
        count -= bisect_right(self._year(start.year).ordinals, start.toordinal())
        for year in range(start.year, end.year):
            count += len(self._year(year).ordinals)
        return count

    def business_days(self, start: date, end: date) -> Iterator[date]:
        """The business days in (start, end], in order."""
        day = self.next_business_day(start)
        while day <= end:
            yield day
            day = self.next_business_day(day)

    def _forward(self, day: date, n: int) -> date:
        year = day.year
        ordinals = self._year(year).ordinals
        index = bisect_right(ordinals, day.toordinal()) + n - 1
        while index >= len(ordinals):
            index -= len(ordinals)
            year += 1
            ordinals = self._year(year).ordinals
        return date.fromordinal(ordinals[index])

    def _backward(self, day: date, n: int) -> date:
        year = day.year
        ordinals = self._year(year).ordinals
        index = bisect_left(ordinals, day.toordinal()) - n
        while index < 0:
            year -= 1
            ordinals = self._year(year).ordinals
            index += len(ordinals)
        return date.fromordinal(ordinals[index])

    def _year(self, year: int) -> _Year:
        cached = self._years.get(year)
        if cached is None:
            cached = self._years[year] = self._build_year(year)
        return cached

    def _build_year(self, year: int) -> _Year:
        national = colombian_holidays(year)
        day, end = date(year, 1, 1), date(year, 12, 31)
        ordinals: list[int] = []
        while day <= end:
            if day.weekday() < _SATURDAY and day not in national and day not in self._closures:
                ordinals.append(day.toordinal())
            day += timedelta(days=1)
        return _Year(ordinals, frozenset(ordinals))
