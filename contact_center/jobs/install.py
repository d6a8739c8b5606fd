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

from contact_center.core.http.keys import CLOCK, JOBS, METRICS, NOTIFIER, SETTINGS, UOW
from contact_center.core.jobs.best_effort import BestEffortJobs
from contact_center.core.jobs.inline import InlineJobs
from contact_center.core.jobs.port import JobContext, Jobs
from contact_center.jobs.context import build_mailer, build_sms_sender, warn_unconfigured_channels

log = logging.getLogger(__name__)

SWEEP_JOB = "contact_center.pqrd.services.escalation:sweep_job"


def install_jobs(app: web.Application) -> None:
    """Set the `JOBS` app key; on the embedded default, start the runner and the sweep with the app."""
    settings = app[SETTINGS]
    from contact_center.core.http.job_metrics import install_job_metrics

    install_job_metrics(app, app[METRICS])
    app.on_startup.append(_warn_escalation_gaps)  # runs after the database context is up
    app.on_startup.append(_give_units_of_work_the_jobs)
    if settings.uses_rq:
        from contact_center.core.jobs.rq_jobs import RqJobs

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
            sms=build_sms_sender(settings),
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


async def _give_units_of_work_the_jobs(app: web.Application) -> None:
    """Units of work enqueue after commit (a status notice's delivery) through the app's runner."""
    app[UOW].jobs = app[JOBS]


async def _warn_escalation_gaps(app: web.Application) -> None:
    from contact_center.pqrd.services.escalation_audience import warn_gaps_at_startup

    await warn_gaps_at_startup(app[UOW])


async def periodic_sweep(jobs: Jobs, interval: float) -> None:
    """Enqueue the sweep every `interval` seconds; it turns due rows into escalation jobs."""
    while True:
        try:
            await jobs.enqueue(SWEEP_JOB, job_id="sweep", retries=0)
        except Exception:
            log.exception("sweep_enqueue_failed")
        await asyncio.sleep(interval)
