"""A per-process cache of the configuration every filing reads and administrators rarely change.

The legal clock (closure days, terms, clock settings, with its business calendar already indexed),
the escalation policy, the citizen-notice setting and the dependencias used to cost eight queries
and a fresh calendar index per PQRD filed. They are now read once and kept, per database engine
(so every app and test database has its own), until one of these happens:

- a transaction of this process that wrote to one of the watched tables (ORM flushes and ORM
  `update`/`delete` statements on `business_closures`, `pqrd_terms`, `legal_clock_settings`,
  `dependencias`) commits or rolls back: the cache is dropped at once, and that transaction itself
  reads around the cache while it is open, so nobody caches its uncommitted values;
- `TTL_SECONDS` pass: another process (another web process, a worker, the CLI) changed them. An
  administrator's change therefore reaches the other processes within two seconds; closure days and
  terms are decreed days ahead, so this delay never changes a deadline in practice.

Raw SQL writes (`text(...)`) to these tables are not seen before the TTL.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from contact_center.core.db.models import BusinessClosure, Dependencia
from contact_center.core.uow import UnitOfWork
from contact_center.pqrd.models.legal import LegalClockSetting, PqrdTerm

T = TypeVar("T")
TTL_SECONDS = 2.0
WATCHED: tuple[type[Any], ...] = (BusinessClosure, PqrdTerm, LegalClockSetting, Dependencia)
_DIRTY = "config_cache.dirty"  # session.info flag: this transaction wrote watched rows


class ConfigCache:
    """Values loaded from the database, each kept for `ttl` seconds or until `invalidate`."""

    def __init__(self, ttl: float = TTL_SECONDS) -> None:
        self.ttl = ttl
        self._values: dict[str, tuple[float, object]] = {}
        self._generation = 0

    async def get(self, key: str, load: Callable[[], Awaitable[T]]) -> T:
        found = self._values.get(key)
        now = time.monotonic()
        if found is not None and now - found[0] < self.ttl:
            return cast(T, found[1])
        generation = self._generation
        value = await load()
        # An invalidation while we were loading may mean we read the old values: keep nothing.
        if generation == self._generation:
            self._values[key] = (now, value)
        return value

    def invalidate(self) -> None:
        self._values.clear()
        self._generation += 1


class PerEngine:
    """One `ConfigCache` per database engine, so every app and test database has its own."""

    def __init__(self) -> None:
        self._caches: WeakKeyDictionary[Engine, ConfigCache] = WeakKeyDictionary()

    def of(self, engine: Engine) -> ConfigCache:
        cache = self._caches.get(engine)
        if cache is None:
            cache = self._caches[engine] = ConfigCache()
        return cache

    def drop(self, session: Session) -> None:
        """Invalidate the cache of the session's engine (a session bound to a connection has none)."""
        engine = session.get_bind()
        if isinstance(engine, Engine):
            self.of(engine).invalidate()


_CACHES = PerEngine()


async def cached(uow: UnitOfWork, key: str, load: Callable[[], Awaitable[T]]) -> T:
    """`load()`'s value from this engine's cache; loaded afresh inside a transaction that changed
    the configuration, so it sees its own changes."""
    session = uow.session.sync_session
    engine = session.get_bind()
    if session.info.get(_DIRTY) or not isinstance(engine, Engine):
        return await load()
    return await _CACHES.of(engine).get(key, load)


def invalidate(uow: UnitOfWork) -> None:
    """Drop this engine's cached configuration (writes through raw SQL call this themselves)."""
    _CACHES.drop(uow.session.sync_session)


# -- invalidation from the ORM ----------------------------------------------------------------------


def _mark(session: Session) -> None:
    session.info[_DIRTY] = True
    _CACHES.drop(session)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, WATCHED):
            _mark(session)
            return


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete or state.is_insert) and any(
        m.class_ in WATCHED for m in state.all_mappers
    ):
        _mark(state.session)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _after_end(session: Session, *_: Any) -> None:
    if session.info.pop(_DIRTY, False):
        _CACHES.drop(session)
