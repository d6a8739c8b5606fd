"""A shifted clock for staging (`CLOCK_OFFSET_DAYS`), refused on a database marked as production.

A city rehearses a month of deadlines on a staging copy by moving the clock the domain reads (legal
clock, escalation points, due dates, reports) N days ahead. Only that clock moves: the worker's
sleeps, RQ's timestamps and the sweep's rhythm keep the real time, so nothing waits a month nor
spins (faketime would move them all). A database marked as production (`contact-center db
mark-production`, a row of `legal_clock_settings`) refuses every process started with an offset.
"""

from __future__ import annotations

import asyncio
import logging

from contact_center.core.clock import SystemClock
from contact_center.core.config import ConfigError, Settings
from contact_center.core.uow import UnitOfWork
from contact_center.pqrd.models.legal import LegalClockSetting

log = logging.getLogger(__name__)

PRODUCTION_KEY = "production_database"


async def is_production(uow: UnitOfWork) -> bool:
    row = await uow.session.get(LegalClockSetting, PRODUCTION_KEY)
    return row is not None and bool(row.value)


async def mark_production(uow: UnitOfWork, production: bool) -> bool:
    """Mark (or unmark) this database as production; commits. Returns the new mark."""
    row = await uow.session.get(LegalClockSetting, PRODUCTION_KEY)
    if row is None:
        row = LegalClockSetting(key=PRODUCTION_KEY)
        uow.session.add(row)
    row.value, row.updated_at, row.updated_by = production, uow.clock.now(), None
    await uow.commit()
    return production


async def check_offset(uow: UnitOfWork, settings: Settings) -> None:
    """Raise `ConfigError` when CLOCK_OFFSET_DAYS is set on a production database; log the offset."""
    if not settings.clock_offset_days:
        return
    if await is_production(uow):
        raise ConfigError(
            "CLOCK_OFFSET_DAYS: la base de datos está marcada como producción; el reloj desplazado "
            "solo se usa en una copia de pruebas (quite CLOCK_OFFSET_DAYS)"
        )
    log.warning("clock_offset_active", extra={"days": settings.clock_offset_days})


def require_offset_allowed(settings: Settings) -> None:
    """`check_offset` for a starting process (serve, worker), on an engine of its own."""
    if not settings.clock_offset_days:
        return
    from contact_center.core.db.engine import create_engine, session_factory
    from contact_center.core.notifier import RecordingNotifier
    from contact_center.core.uow import UnitOfWorkFactory

    async def check() -> None:
        engine = create_engine(settings.effective_database_url, pool_size=1)
        try:
            uows = UnitOfWorkFactory(session_factory(engine), RecordingNotifier(), SystemClock())
            async with uows() as uow:
                await check_offset(uow, settings)
        finally:
            await engine.dispose()

    asyncio.run(check())
