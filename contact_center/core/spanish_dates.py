"""Dates in Colombian Spanish, as citizens read them on the portal and hear them on the 195 line."""

from __future__ import annotations

from datetime import date, datetime

from contact_center.core.clock import BOGOTA

MONTHS = (
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
)
WEEKDAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")


def day_month_year(day: date) -> str:
    """ "3 de marzo de 2026" """
    return f"{day.day} de {MONTHS[day.month - 1]} de {day.year}"


def long_date(day: date) -> str:
    """ "martes 15 de diciembre de 2026"; an instant is read in Bogotá time."""
    if isinstance(day, datetime):
        day = day.astimezone(BOGOTA).date()
    return f"{WEEKDAYS[day.weekday()]} {day_month_year(day)}"


def date_time(instant: datetime) -> str:
    """ "24 de noviembre de 2026, 10:05 a. m." in Bogotá time"""
    local = instant.astimezone(BOGOTA)
    hour = local.hour % 12 or 12
    suffix = "a. m." if local.hour < 12 else "p. m."
    return f"{day_month_year(local)}, {hour}:{local.minute:02d} {suffix}"
