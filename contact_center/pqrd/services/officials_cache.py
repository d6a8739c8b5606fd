"""The active officials of each dependencia, as a new filing needs them, cached per process.

Filing a PQRD queues `ticket.updated` for every active official of its dependencia (they join only
their own socket.io room). Reading them cost a query per filing; they change when an administrator
adds or deactivates an official. The set is kept per engine like the configuration
(`config_cache.ConfigCache`), and dropped:

- when a transaction of this process flushed a change to an `Official` through the ORM (it reads
  around the cache until it ends, then the cache is dropped);
- after `config_cache.TTL_SECONDS` otherwise (another process, or a Core statement, changed it):
  an official added elsewhere starts receiving new filings' events within two seconds.

Only the filing path reads it; status changes of existing tickets still read the officials afresh.
"""

from __future__ import annotations

from itertools import chain
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, UOWTransaction

from contact_center.core.db.models import Official
from contact_center.core.uow import UnitOfWork
from contact_center.pqrd.services.config_cache import PerEngine

_DIRTY = "officials_cache.dirty"
_CACHES = PerEngine()


async def active_officials(uow: UnitOfWork, dependencia_id: int) -> frozenset[int]:
    """The ids of the dependencia's active officials."""
    session = uow.session.sync_session
    engine = session.get_bind()
    if session.info.get(_DIRTY) or not isinstance(engine, Engine):
        return await _read(uow, dependencia_id)
    return await _CACHES.of(engine).get(str(dependencia_id), lambda: _read(uow, dependencia_id))


async def _read(uow: UnitOfWork, dependencia_id: int) -> frozenset[int]:
    rows = await uow.session.scalars(
        select(Official.id).where(Official.dependencia_id == dependencia_id, Official.active.is_(True))
    )
    return frozenset(rows.all())


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    if any(isinstance(obj, Official) for obj in chain(session.new, session.dirty, session.deleted)):
        session.info[_DIRTY] = True
        _CACHES.drop(session)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _after_end(session: Session, *_: Any) -> None:
    if session.info.pop(_DIRTY, False):
        _CACHES.drop(session)
