"""`install_jobs(app)`: the jobs port of the web process, and the periodic escalation sweep.

RQ when `settings.uses_rq` (production: `contact-center worker` runs the jobs and drives the sweep),
otherwise the in-process runner, which also runs the sweep every `ESCALATION_SWEEP_SECONDS`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from contact_center.jobs.best_effort import BestEffortJobs
from contact_center.jobs.context import build_mailer, warn_unconfigured_channels
from contact_center.jobs.inline import InlineJobs
from contact_center.jobs.port import JobContext, Jobs
from contact_center.web.keys import CLOCK, JOBS, NOTIFIER, SETTINGS, UOW

log = logging.getLogger(__name__)

SWEEP_JOB = "contact_center.services.escalation:sweep_job"


def install_jobs(app: web.Application) -> None:
    """Set the `JOBS` app key; on the embedded default, start the runner and the sweep with the app."""
    settings = app[SETTINGS]
    if settings.uses_rq:
        from contact_center.jobs.rq_jobs import RqJobs

        app[JOBS] = BestEffortJobs(RqJobs(settings))  # after a commit, Redis down is not an error
        return
    inline = InlineJobs(app[CLOCK], retry_base_seconds=settings.jobs_retry_base_seconds)
    app[JOBS] = inline

    async def lifetime(app: web.Application) -> AsyncIterator[None]:
        context = JobContext(
            uow=app[UOW],
            settings=settings,
            notifier=app[NOTIFIER],
            jobs=inline,
            clock=app[CLOCK],
            mailer=build_mailer(settings),
        )
        inline.start(context)
        warn_unconfigured_channels(settings)  # this process sends: say once what it cannot send
        sweeper = asyncio.get_running_loop().create_task(
            periodic_sweep(inline, settings.escalation_sweep_seconds), name="escalation-sweep"
        )
        yield
        sweeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweeper
        await inline.stop()

    app.cleanup_ctx.append(lifetime)


async def periodic_sweep(jobs: Jobs, interval: float) -> None:
    """Enqueue the sweep every `interval` seconds; it turns due rows into escalation jobs."""
    while True:
        try:
            await jobs.enqueue(SWEEP_JOB, job_id="sweep", retries=0)
        except Exception:
            log.exception("sweep_enqueue_failed")
        await asyncio.sleep(interval)
