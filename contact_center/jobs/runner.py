"""The worker side of RQ: `run(job_path, *args)` is the one function RQ calls for every job.

RQ calls it synchronously; it runs the async job on one event loop kept for the life of the worker
process, with one `JobContext` (engine, units of work, a write-only socket.io notifier so jobs
reach browsers through Redis, the mailer, the jobs port) built on first use. The loop and the
context are per process on purpose: database pools are bound to their event loop, and building
them per job would cost more than most jobs.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from contact_center.core.config import Settings, load_settings
from contact_center.core.jobs.port import JobArg, JobContext, resolve


@dataclass
class _WorkerProcess:
    runner: asyncio.Runner
    context: JobContext | None = None


_process: _WorkerProcess | None = None


def run(job_path: str, *args: JobArg) -> None:
    """Run the async job `job_path` ("module:function") with this process's context."""
    global _process
    if _process is None:
        _process = _WorkerProcess(asyncio.Runner())
    process = _process
    process.runner.run(_run(process, job_path, args))


async def _run(process: _WorkerProcess, job_path: str, args: tuple[JobArg, ...]) -> None:
    if process.context is None:
        process.context = build_worker_context(load_settings())
    await resolve(job_path)(process.context, *args)


def build_worker_context(settings: Settings) -> JobContext:
    """The context of a worker process: it needs REDIS_URL (RQ) and reads the same settings as serve."""
    import socketio

    from contact_center.core.clock import clock_for
    from contact_center.core.db.engine import create_engine, session_factory
    from contact_center.core.jobs.rq_jobs import RqJobs
    from contact_center.core.notifier import SocketIONotifier
    from contact_center.core.uow import UnitOfWorkFactory
    from contact_center.jobs.context import build_mailer, build_sms_sender

    assert settings.redis_url is not None, "a worker runs RQ jobs, so REDIS_URL is set"
    clock = clock_for(settings)  # CLOCK_OFFSET_DAYS moves what jobs read, never the worker's sleeps
    # The same channel as the web processes' AsyncRedisManager, write-only: a worker has no clients.
    manager = socketio.AsyncRedisManager(
        settings.redis_url, channel=f"{settings.redis_namespace}:socketio", write_only=True
    )
    notifier = SocketIONotifier(manager)
    engine = create_engine(settings.effective_database_url, pool_size=4)
    uows = UnitOfWorkFactory(session_factory(engine), notifier, clock)
    uows.jobs = jobs = RqJobs(settings)
    return JobContext(
        uow=uows,
        settings=settings,
        notifier=notifier,
        jobs=jobs,
        clock=clock,
        mailer=build_mailer(settings),
        sms=build_sms_sender(settings),
    )
