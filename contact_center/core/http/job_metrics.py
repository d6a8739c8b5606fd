"""/metrics gauges of the background work: job queues and escalations due but not fired.

Read at scrape time. With RQ: every queue's waiting jobs, its started, failed and scheduled
registries (what `contact-center worker` processes); with the in-process runner its own counts.
Escalations: the tickets whose `next_escalation_at` has passed (the sweep has not fired them yet)
and the age of the oldest, so a dead worker (issue 17) shows as a growing age, not as silence.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC

from aiohttp import web
from prometheus_client import CollectorRegistry, Gauge
from sqlalchemy import func, select

from contact_center.core.db.models import Ticket
from contact_center.core.http.keys import JOBS, UOW
from contact_center.core.jobs.best_effort import BestEffortJobs
from contact_center.core.jobs.inline import InlineJobs

log = logging.getLogger(__name__)


class JobMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.jobs = Gauge(
            "pasto195_jobs",
            "Background jobs by queue and state (queued, started, failed, scheduled)",
            ["queue", "state"],
            registry=registry,
        )
        self.due = Gauge(
            "pasto195_escalations_due",
            "Tickets whose next escalation is due but has not fired yet",
            registry=registry,
        )
        self.oldest = Gauge(
            "pasto195_escalation_oldest_due_seconds",
            "Age of the oldest escalation due but not fired (0 when none)",
            registry=registry,
        )


JOB_METRICS = web.AppKey("job_metrics", JobMetrics)


def install_job_metrics(app: web.Application, registry: CollectorRegistry) -> None:
    app[JOB_METRICS] = JobMetrics(registry)


async def refresh(app: web.Application) -> None:
    """Set the gauges from the runner and the database; a part that cannot be read is logged and
    keeps its last value (a scrape never fails because Redis is down)."""
    metrics = app.get(JOB_METRICS)
    if metrics is None or JOBS not in app:
        return
    try:
        for (queue, state), count in (await _job_counts(app)).items():
            metrics.jobs.labels(queue, state).set(count)
    except Exception:
        log.warning("metrics_jobs_unavailable", exc_info=True)
    try:
        due, oldest = await _due_escalations(app)
        metrics.due.set(due)
        metrics.oldest.set(oldest)
    except Exception:
        log.warning("metrics_escalations_unavailable", exc_info=True)


async def _job_counts(app: web.Application) -> dict[tuple[str, str], int]:
    jobs = app[JOBS]
    if isinstance(jobs, BestEffortJobs):  # the web process's wrapper: count the runner behind it
        jobs = jobs.inner
    if isinstance(jobs, InlineJobs):
        return {("inline", state): count for state, count in jobs.counts().items()}
    from contact_center.core.jobs.rq_jobs import RqJobs

    if isinstance(jobs, RqJobs):
        return await asyncio.to_thread(_rq_counts, jobs)
    return {}


def _rq_counts(jobs: object) -> dict[tuple[str, str], int]:
    from rq import Queue

    from contact_center.core.jobs.rq_jobs import QUEUE_NAMES, RqJobs

    assert isinstance(jobs, RqJobs)
    counts: dict[tuple[str, str], int] = {}
    prefix = jobs.queue.name.rsplit(":", 1)[0]
    for name in QUEUE_NAMES:
        queue = Queue(f"{prefix}:{name}", connection=jobs.connection)
        counts[(name, "queued")] = queue.count
        counts[(name, "started")] = queue.started_job_registry.count
        counts[(name, "failed")] = queue.failed_job_registry.count
        counts[(name, "scheduled")] = queue.scheduled_job_registry.count
    return counts


async def _due_escalations(app: web.Application) -> tuple[int, float]:
    async with app[UOW]() as uow:
        now = uow.clock.now()
        count, oldest = (
            await uow.session.execute(
                select(func.count(), func.min(Ticket.next_escalation_at)).where(
                    Ticket.next_escalation_at <= now
                )
            )
        ).one()
    if not count or oldest is None:
        return 0, 0.0
    if oldest.tzinfo is None:  # an aggregate on SQLite comes back naive, in UTC
        oldest = oldest.replace(tzinfo=UTC)
    return int(count), max((now - oldest).total_seconds(), 0.0)
