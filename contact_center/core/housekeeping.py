"""What the periodic sweep deletes: idempotency records past IDEMPOTENCY_TTL_HOURS and abuse-limit
counters whose window ended. Both hold nothing the service needs once expired."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete

from contact_center.core.config import Settings
from contact_center.core.counters import purge_expired
from contact_center.core.db.models import IdempotencyRecord
from contact_center.core.uow import UnitOfWork

log = logging.getLogger(__name__)


async def purge(uow: UnitOfWork, settings: Settings) -> tuple[int, int]:
    """Delete expired idempotency records and counters (the caller commits); how many of each."""
    cutoff = uow.clock.now() - timedelta(hours=settings.idempotency_ttl_hours)
    result = await uow.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff))
    records = int(getattr(result, "rowcount", 0) or 0)
    counters = await purge_expired(uow)
    if records or counters:
        log.info("housekeeping_purged", extra={"idempotency_records": records, "rate_counters": counters})
    return records, counters
