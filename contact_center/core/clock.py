"""The clock port: time is injected so tests move a fake clock instead of sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from contact_center.core.config import Settings

BOGOTA = ZoneInfo("America/Bogota")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, always timezone-aware."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to; for tests and benchmarks."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("FakeClock needs timezone-aware instants")
        self._now = instant


class OffsetClock:
    """The system clock moved `offset` ahead (or back)."""

    def __init__(self, offset: timedelta, base: Clock | None = None) -> None:
        self.offset = offset
        self._base = base or SystemClock()

    def now(self) -> datetime:
        return self._base.now() + self.offset


def clock_offset(settings: Settings) -> timedelta:
    return timedelta(days=settings.clock_offset_days)


def clock_for(settings: Settings) -> Clock:
    """The clock the domain reads: the system clock, shifted by CLOCK_OFFSET_DAYS when set."""
    offset = clock_offset(settings)
    return OffsetClock(offset) if offset else SystemClock()
