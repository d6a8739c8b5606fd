"""Instants as integer microseconds since the epoch.

The API takes timezone-aware datetimes; inside, the indexes compare plain ints, which are exact
(no float rounding between "step due" and "elapsed") and cheaper to compare than datetimes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MICRO = timedelta(microseconds=1)


def to_micros(at: datetime) -> int:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"the routing core needs timezone-aware instants, got {at!r}")
    return (at - EPOCH) // _ONE_MICRO


def from_micros(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


def seconds_to_micros(seconds: float) -> int:
    return round(seconds * 1_000_000)
