"""Dates as a citizen in Pasto reads them: Spanish month names, Bogotá time, 12-hour clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from contact_center.domain.clock import BOGOTA

MONTHS = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
]
WEEKDAYS = ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"]


def long_date(day: date) -> str:
    """ "martes 15 de diciembre de 2026" """
    if isinstance(day, datetime):
        day = day.astimezone(BOGOTA).date()
    return f"{WEEKDAYS[day.weekday()]} {day.day} de {MONTHS[day.month - 1]} de {day.year}"


def date_time(instant: datetime) -> str:
    """ "24 de noviembre de 2026, 10:05 a. m. (hora de Colombia)" """
    local = instant.astimezone(BOGOTA)
    hour = local.hour % 12 or 12
    suffix = "a. m." if local.hour < 12 else "p. m."
    return f"{local.day} de {MONTHS[local.month - 1]} de {local.year}, {hour}:{local.minute:02d} {suffix}"


def iso(value: date) -> str:
    return value.isoformat()


FILTERS: dict[str, Callable[[Any], str]] = {"long_date": long_date, "date_time": date_time, "iso": iso}
