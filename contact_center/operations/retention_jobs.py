"""The retention sweep as a job: once a day in the web process on the embedded default.

In RQ mode (production) `pasto195-retention.timer` runs `contact-center retention run` instead; the
job below may also be enqueued by hand for a worker. Either way `contact_center.operations.retention.purge`
decides what goes, and never touches a PQRD record.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import asdict

from aiohttp import web

from contact_center.core.http.keys import CLOCK, JOBS, SETTINGS
from contact_center.core.jobs.port import JobContext, Jobs
from contact_center.operations.retention import load_retention, purge

log = logging.getLogger(__name__)
RETENTION_JOB = "contact_center.operations.retention_jobs:retention_job"
DAY_SECONDS = 86_400.0


async def retention_job(ctx: JobContext) -> None:
    async with ctx.uow() as uow:
        report = await purge(uow, load_retention())
    log.info("retention_purged", extra=asdict(report))


def install_retention(app: web.Application) -> None:
    """On the embedded default, run the retention job at start-up and then every day."""
    if app[SETTINGS].uses_rq:
        return

    async def lifetime(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(_daily(app), name="retention-daily")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app.cleanup_ctx.append(lifetime)


async def _daily(app: web.Application) -> None:
    jobs: Jobs = app[JOBS]
    while True:
        day = app[CLOCK].now().date().isoformat()
        try:
            await jobs.enqueue(RETENTION_JOB, job_id=f"retention:{day}", retries=1)
        except Exception:  # the next day tries again; the CLI can always be run by hand
            log.exception("retention_enqueue_failed")
        await asyncio.sleep(DAY_SECONDS)
