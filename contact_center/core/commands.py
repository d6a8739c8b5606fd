"""What every feature's CLI commands share: one service call in its own unit of work."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from contact_center.core.config import Settings


def run_in_uow(settings: Settings, action: Callable[..., Awaitable[Any]], *args: Any) -> Any:
    """Run one service call in its own unit of work, with the schema upgraded first on SQLite
    (and refused with `DatabaseNotReady` when it is not at this code's migrations elsewhere)."""
    from contact_center.core.clock import clock_for
    from contact_center.core.db import migrate
    from contact_center.core.db.engine import create_engine, session_factory
    from contact_center.core.notifier import RecordingNotifier
    from contact_center.core.uow import UnitOfWorkFactory

    async def go() -> Any:
        if settings.is_sqlite:
            await migrate.upgrade_async(settings.effective_database_url)
        await migrate.require_heads(settings.effective_database_url)
        engine = create_engine(settings.effective_database_url, pool_size=2)
        try:
            factory = UnitOfWorkFactory(session_factory(engine), RecordingNotifier(), clock_for(settings))
            async with factory() as uow:
                return await action(uow, *args)
        finally:
            await engine.dispose()

    return asyncio.run(go())
