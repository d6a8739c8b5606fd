"""Jinja filters for the portal pages: dates as a citizen in Pasto reads them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from contact_center.core.spanish_dates import date_time, long_date


def iso(value: date) -> str:
    return value.isoformat()


FILTERS: dict[str, Callable[[Any], str]] = {"long_date": long_date, "date_time": date_time, "iso": iso}
