"""Queues' business hours: is a queue open at an instant, and when does it open next. Pure, no I/O.

A queue's hours are weekly slots in America/Bogota (`{"mon": [["07:00", "12:00"], ...]}`, Monday
to Sunday; a slot may end at "24:00"). A slot never crosses midnight: a night shift is two slots,
"22:00-24:00" on one day and "00:00-06:00" on the next, so each day stands alone and a holiday
closes exactly its own hours. Days with no slot are closed.

* Empty hours (`{}`) mean always open: the queue has no schedule (the demo city's queues).
* On a Colombian public holiday or an administrator's closure day of the business calendar the
  queue is closed all day, unless it is configured `open_on_holidays` (a 24/7 emergency line).
  Weekends are not special here: a queue with Saturday slots is open on Saturdays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from contact_center.core.clock import BOGOTA
from contact_center.core.errors import InvalidInput
from contact_center.pqrd.domain.calendar import BusinessCalendar

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60
# How far ahead "next opening" looks: a year and a week covers every weekly pattern and a year of
# closures; a queue with no opening in that span has none to announce.
HORIZON_DAYS = 372

Slot = tuple[int, int]  # [start, end) in minutes after local midnight, end at most 24:00


@dataclass(frozen=True, slots=True)
class WeeklyHours:
    """One queue's schedule: slots per weekday (index 0 is Monday), or always open."""

    week: tuple[tuple[Slot, ...], ...] = ((),) * 7
    always_open: bool = True
    open_on_holidays: bool = False

    @classmethod
    def from_config(
        cls, hours: Mapping[str, Sequence[Sequence[str]]], *, open_on_holidays: bool = False
    ) -> WeeklyHours:
        """From the stored form (`queues.business_hours`), already validated by the admin."""
        if not hours:
            return cls(open_on_holidays=open_on_holidays)
        week = tuple(
            tuple(sorted((_minutes(start), _minutes(end)) for start, end in hours.get(day, ())))
            for day in DAYS
        )
        return cls(week, always_open=False, open_on_holidays=open_on_holidays)


ALWAYS_OPEN = WeeklyHours()


@dataclass(frozen=True, slots=True)
class Opening:
    """`open` now; if closed, `next_open` is when it opens next (None: no opening within a year)."""

    open: bool
    next_open: datetime | None = None


def _minutes(hhmm: str) -> int:
    hours, _, minutes = hhmm.partition(":")
    return int(hours) * 60 + int(minutes)


def _local(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise InvalidInput("La fecha y hora debe indicar su zona horaria.", code="naive_datetime")
    return instant.astimezone(BOGOTA)


def _closed_all_day(hours: WeeklyHours, calendar: BusinessCalendar, day: date) -> bool:
    if hours.open_on_holidays:
        return False
    return calendar.holiday_name(day) is not None or calendar.is_closure(day)


def _at(day: date, minutes: int) -> datetime:
    return datetime.combine(day, time(0), tzinfo=BOGOTA) + timedelta(minutes=minutes)


def is_open(hours: WeeklyHours, calendar: BusinessCalendar, instant: datetime) -> bool:
    """Whether the queue takes new live work at `instant` (any aware datetime)."""
    local = _local(instant)
    if hours.always_open:
        return True
    day = local.date()
    if _closed_all_day(hours, calendar, day):
        return False
    now = local.hour * 60 + local.minute + local.second / 60 + local.microsecond / 60e6
    return any(start <= now < end for start, end in hours.week[day.weekday()])


def next_opening(hours: WeeklyHours, calendar: BusinessCalendar, instant: datetime) -> datetime | None:
    """The first moment at or after `instant` when the queue is open (`instant` itself when it is
    open now), in America/Bogota; None when it does not open within `HORIZON_DAYS`."""
    if is_open(hours, calendar, instant):
        return _local(instant)
    local = _local(instant)
    now = local.hour * 60 + local.minute + local.second / 60 + local.microsecond / 60e6
    for offset in range(HORIZON_DAYS):
        day = local.date() + timedelta(days=offset)
        if _closed_all_day(hours, calendar, day):
            continue
        for start, _end in hours.week[day.weekday()]:
            if offset > 0 or start > now:
                return _at(day, start)
    return None


def opening(hours: WeeklyHours, calendar: BusinessCalendar, instant: datetime) -> Opening:
    """`is_open` and, when closed, `next_opening`, in one answer (for messages and statistics)."""
    if is_open(hours, calendar, instant):
        return Opening(True)
    return Opening(False, next_opening(hours, calendar, instant))


_WEEKDAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
_MONTHS = (
    "enero", "febrero", "marzo", "abril", "mayo", "junio",
    "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
)  # fmt: skip


def spanish_opening(next_open: datetime | None, now: datetime) -> str:
    """When a closed queue opens, as citizens read or hear it: "hoy a las 2:00 p. m.",
    "mañana a las 7:00 a. m.", "el lunes 7 de diciembre a las 7:00 a. m."."""
    if next_open is None:
        return "cuando se programe un nuevo horario de atención"
    local, today = _local(next_open), _local(now).date()
    hour = local.hour % 12 or 12
    clock = f"a las {hour}:{local.minute:02d} {'a. m.' if local.hour < 12 else 'p. m.'}"
    if local.date() == today:
        return f"hoy {clock}"
    if local.date() == today + timedelta(days=1):
        return f"mañana {clock}"
    day = local.date()
    return f"el {_WEEKDAYS[day.weekday()]} {day.day} de {_MONTHS[day.month - 1]} {clock}"
