"""Counting failures (wrong access codes) per client and per target, in fixed time windows.

In Redis when REDIS_URL is set, so every web process sees the same counts; in memory otherwise
(the embedded default is one process).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Protocol

from redis.asyncio import Redis


class FailureLimiter(Protocol):
    async def blocked(self, keys: Sequence[str]) -> bool:
        """Whether any key reached the limit in the current window."""
        ...

    async def record(self, keys: Sequence[str]) -> None:
        """Count one failure against each key."""
        ...


class MemoryLimiter:
    def __init__(self, limit: int, window_seconds: float, now: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self._now = limit, window_seconds, now
        self._counts: dict[str, tuple[float, int]] = {}

    def _current(self, key: str) -> int:
        started, count = self._counts.get(key, (0.0, 0))
        return count if self._now() - started < self.window else 0

    async def blocked(self, keys: Sequence[str]) -> bool:
        return any(self._current(k) >= self.limit for k in keys)

    async def record(self, keys: Sequence[str]) -> None:
        if len(self._counts) > 100_000:  # bounded memory under a flood of distinct keys
            self._counts = {k: v for k, v in self._counts.items() if self._current(k)}
        for key in keys:
            count = self._current(key)
            started = self._counts[key][0] if count else self._now()
            self._counts[key] = (started, count + 1)


class RedisLimiter:
    def __init__(self, redis: Redis, prefix: str, limit: int, window_seconds: int) -> None:
        self.redis, self.prefix, self.limit, self.window = redis, prefix, limit, window_seconds

    async def blocked(self, keys: Sequence[str]) -> bool:
        values = await self.redis.mget([f"{self.prefix}:{k}" for k in keys])
        return any(v is not None and int(v) >= self.limit for v in values)

    async def record(self, keys: Sequence[str]) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            for key in keys:
                name = f"{self.prefix}:{key}"
                pipe.incr(name)
                pipe.expire(name, self.window, nx=True)  # the window starts at the first failure
            await pipe.execute()
