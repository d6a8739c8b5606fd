"""Atomic counters in fixed windows, for the abuse limits: in Redis when REDIS_URL is set, in the
database otherwise, so every process counts together either way.

Each operation is one atomic step (Redis INCR / SET NX; one upsert with RETURNING on PostgreSQL and
SQLite), so concurrent requests see distinct counts: forty parallel attempts are numbered 1..40
and the eleventh is refused, where reading a count and writing it back later let all forty in.
"""

from __future__ import annotations

from typing import Any, Protocol

from redis.asyncio import Redis
from sqlalchemy import Table, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from contact_center.core.db.limit_models import RateCounter
from contact_center.core.uow import UnitOfWork, UnitOfWorkFactory

_TABLE: Table = RateCounter.__table__  # type: ignore[assignment]


class Counters(Protocol):
    async def hit(self, key: str, window: float) -> int:
        """Count one against `key`; the count in its window (which opens at the first hit)."""
        ...

    async def add(self, key: str, delta: int) -> None:
        """Adjust a live count (a refund); nothing when the window has ended."""
        ...

    async def get(self, key: str) -> int:
        """The live count, 0 when there is none."""
        ...

    async def reset(self, key: str) -> None: ...

    async def remaining(self, key: str) -> float:
        """Seconds until the window of `key` ends (0.0 when it has none)."""
        ...

    async def hold(self, key: str, seconds: float) -> float:
        """Take `key` for `seconds` if free: 0.0; otherwise the seconds until it is free."""
        ...


class RedisCounters:
    # A refund adjusts a live count only: INCRBY on a missing key would create one without expiry.
    _ADD = (
        "if redis.call('exists', KEYS[1]) == 1 then "
        "return redis.call('incrby', KEYS[1], ARGV[1]) end return 0"
    )

    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis, self.prefix = redis, prefix

    def _key(self, key: str) -> str:
        return f"{self.prefix}:{key}"

    async def hit(self, key: str, window: float) -> int:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(self._key(key))
            pipe.expire(self._key(key), max(1, int(window)), nx=True)  # the window starts at the first hit
            count, _ = await pipe.execute()
        return int(count)

    async def add(self, key: str, delta: int) -> None:
        await self.redis.eval(self._ADD, 1, self._key(key), delta)

    async def get(self, key: str) -> int:
        value = await self.redis.get(self._key(key))
        return int(value) if value is not None else 0

    async def reset(self, key: str) -> None:
        await self.redis.delete(self._key(key))

    async def remaining(self, key: str) -> float:
        left = await self.redis.pttl(self._key(key))
        return left / 1000 if left > 0 else 0.0

    async def hold(self, key: str, seconds: float) -> float:
        millis = max(1, int(seconds * 1000))
        if await self.redis.set(self._key(key), 1, px=millis, nx=True):
            return 0.0
        left = await self.redis.pttl(self._key(key))
        return max(0.001, left / 1000) if left > 0 else 0.001


class SqlCounters:
    """The `rate_counters` table: one short transaction per operation."""

    def __init__(self, uows: UnitOfWorkFactory) -> None:
        self.uows = uows

    async def hit(self, key: str, window: float) -> int:
        async with self.uows() as uow:
            now = _now(uow)
            insert = _insert(uow).values(key=key, count=1, expires_at=now + window)
            expired = _TABLE.c.expires_at <= now
            statement = insert.on_conflict_do_update(
                index_elements=[_TABLE.c.key],
                set_={
                    "count": _case(expired, 1, _TABLE.c.count + 1),
                    "expires_at": _case(expired, now + window, _TABLE.c.expires_at),
                },
            ).returning(_TABLE.c.count)
            count = int((await uow.session.execute(statement)).scalar_one())
            await uow.commit()
        return count

    async def add(self, key: str, delta: int) -> None:
        async with self.uows() as uow:
            await uow.session.execute(
                update(_TABLE)
                .where(_TABLE.c.key == key, _TABLE.c.expires_at > _now(uow))
                .values(count=_TABLE.c.count + delta)
            )
            await uow.commit()

    async def get(self, key: str) -> int:
        async with self.uows() as uow:
            value = await uow.session.scalar(
                select(_TABLE.c.count).where(_TABLE.c.key == key, _TABLE.c.expires_at > _now(uow))
            )
        return int(value or 0)

    async def reset(self, key: str) -> None:
        async with self.uows() as uow:
            await uow.session.execute(delete(_TABLE).where(_TABLE.c.key == key))
            await uow.commit()

    async def remaining(self, key: str) -> float:
        async with self.uows() as uow:
            until = await uow.session.scalar(select(_TABLE.c.expires_at).where(_TABLE.c.key == key))
            now = _now(uow)
        return max(0.0, float(until) - now) if until is not None else 0.0

    async def hold(self, key: str, seconds: float) -> float:
        async with self.uows() as uow:
            now = _now(uow)
            statement = (
                _insert(uow)
                .values(key=key, count=1, expires_at=now + seconds)
                .on_conflict_do_update(
                    index_elements=[_TABLE.c.key],
                    set_={"count": 1, "expires_at": now + seconds},
                    where=_TABLE.c.expires_at <= now,
                )
                .returning(_TABLE.c.key)
            )
            taken = (await uow.session.execute(statement)).first() is not None
            until = (
                None
                if taken
                else await uow.session.scalar(select(_TABLE.c.expires_at).where(_TABLE.c.key == key))
            )
            await uow.commit()
        return 0.0 if taken else max(0.001, float(until or now) - now)


async def purge_expired(uow: UnitOfWork) -> int:
    """Delete counters whose window ended (the sweep calls it); how many."""
    result = await uow.session.execute(delete(_TABLE).where(_TABLE.c.expires_at <= _now(uow)))
    return int(getattr(result, "rowcount", 0) or 0)


def _now(uow: UnitOfWork) -> float:
    return uow.clock.now().timestamp()


def _insert(uow: UnitOfWork) -> Any:
    module: Any = postgresql if uow.session.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(_TABLE)


def _case(condition: Any, then: Any, otherwise: Any) -> Any:
    from sqlalchemy import case

    return case((condition, then), else_=otherwise)
