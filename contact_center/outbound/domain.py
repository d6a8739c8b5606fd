"""When a failed e-mail or SMS is tried again, and when the city stops trying (pure rules).

A mail server or Twilio may be down for hours; a citizen's acknowledgement must still reach them.
So a failed attempt is not retried by the job that made it (a few quick job retries give up within
a minute and flood the log) but by the periodic sweep, from the row: `next_attempt_at` grows
exponentially (base, 2·base, 4·base... capped), and after `give_up_at` (the first failure plus
OUTBOUND_RETRY_MAX_HOURS) a failure is final. The last attempt falls on the horizon itself, so
the whole horizon is covered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

RETRYING, WAITING = "retrying", "waiting"


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff between attempts of one message, and how long to keep trying after its first failure."""

    base_seconds: float = 60.0
    cap_seconds: float = 3600.0
    max_hours: float = 48.0

    def delay(self, attempt: int) -> timedelta:
        """Wait after failed attempt number `attempt` (1, 2, ...): base, 2·base, ... up to the cap."""
        exponent = min(max(attempt - 1, 0), 32)  # 2**32 · base is past any cap; avoids huge floats
        return timedelta(seconds=min(self.cap_seconds, self.base_seconds * 2**exponent))


@dataclass(frozen=True)
class AfterFailure:
    """What a failed attempt leaves on the row: still `retrying` with its next time, or `failed`."""

    status: str
    next_attempt_at: datetime | None
    give_up_at: datetime


def after_failure(
    policy: RetryPolicy, attempt: int, now: datetime, give_up_at: datetime | None
) -> AfterFailure:
    """The row's state after attempt `attempt` failed at `now` (`give_up_at` None: first failure)."""
    horizon = give_up_at or now + timedelta(hours=policy.max_hours)
    if now >= horizon:
        return AfterFailure("failed", None, horizon)
    return AfterFailure(RETRYING, min(now + policy.delay(attempt), horizon), horizon)
