"""Jobs on Redis Queue: the production runner, executed by `contact-center worker`.

Every job goes through one RQ function, `contact_center.jobs.runner.run(job_path, *args)`, which
runs the async job inside the worker's own context. Job ids are namespaced (several deployments or
test runs may share one Redis) and encoded to the characters RQ accepts.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from redis import Redis
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

from contact_center.core.config import Settings
from contact_center.core.jobs.liveness import worker_is_dead
from contact_center.core.jobs.port import JobArg, resolve

log = logging.getLogger(__name__)

RUNNER = "contact_center.jobs.runner.run"
QUEUE_NAMES = ("default",)
# A finished job is kept this long, so re-enqueueing its id in the meantime is still a no-op.
RESULT_TTL_SECONDS = 3600
_RETRYABLE_AGAIN = {JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}


def queue_name(settings: Settings, name: str = "default") -> str:
    return f"{settings.redis_namespace}:{name}"


def rq_job_id(namespace: str, job_id: str) -> str:
    """A reversible encoding of "namespace:job_id" into RQ's id alphabet [A-Za-z0-9_-]."""
    return re.sub(r"[^A-Za-z0-9_]", lambda m: f"-{ord(m.group()):02x}", f"{namespace}:{job_id}")


def retry_policy(retries: int, base_seconds: float) -> Retry | None:
    if retries < 1:
        return None
    return Retry(max=retries, interval=[max(1, int(base_seconds * 2**i)) for i in range(retries)])


class RqJobs:
    """`Jobs` on RQ. Enqueueing is a blocking Redis call, so it runs in a thread off the event loop."""

    def __init__(self, settings: Settings, connection: Redis | None = None) -> None:
        assert settings.redis_url is not None, "RQ needs REDIS_URL"
        self._namespace = settings.redis_namespace
        # `at` comes from the domain's clock, which CLOCK_OFFSET_DAYS may shift; RQ's scheduler
        # compares with real time, so the offset is taken back off.
        self._offset = timedelta(days=settings.clock_offset_days)
        self._retry_base = settings.jobs_retry_base_seconds
        self.connection = connection or Redis.from_url(settings.redis_url)
        self.queue = Queue(queue_name(settings), connection=self.connection)

    async def enqueue(
        self,
        job: str,
        *args: JobArg,
        job_id: str,
        at: datetime | None = None,
        retries: int = 3,
    ) -> None:
        await asyncio.to_thread(self.enqueue_sync, job, args, job_id, at, retries)

    async def enqueue_many(self, items: Sequence[tuple[str, tuple[JobArg, ...], str]]) -> int:
        """Enqueue (job, args, job_id) triples in one thread hop; the number newly queued."""
        return await asyncio.to_thread(self._enqueue_batch, items)

    def _enqueue_batch(self, items: Sequence[tuple[str, tuple[JobArg, ...], str]], retries: int = 3) -> int:
        """One round trip to see which ids exist, one pipeline to queue the others.

        Ids that exist go through `enqueue_sync` (a dead job is replaced, a live one kept). Between
        the check and the pipeline another process could queue the same id; the jobs are
        idempotent, so the cost of that race is a second run that does nothing.
        """
        for job in {job for job, _, _ in items}:
            resolve(job)
        ids = [rq_job_id(self._namespace, job_id) for _, _, job_id in items]
        with self.connection.pipeline(transaction=False) as pipe:
            for rq_id in ids:
                pipe.exists(Job.key_for(rq_id))
            exists = pipe.execute()
        fresh = [
            Queue.prepare_data(
                RUNNER,
                args=(job, *args),
                job_id=rq_id,
                retry=retry_policy(retries, self._retry_base),
                result_ttl=RESULT_TTL_SECONDS,
                description=job_id,
            )
            for (job, args, job_id), rq_id, found in zip(items, ids, exists, strict=True)
            if not found
        ]
        if fresh:
            self.queue.enqueue_many(fresh)
        known = [item for item, found in zip(items, exists, strict=True) if found]
        return len(fresh) + sum(self.enqueue_sync(job, args, job_id) for job, args, job_id in known)

    def enqueue_sync(
        self,
        job: str,
        args: tuple[JobArg, ...],
        job_id: str,
        at: datetime | None = None,
        retries: int = 3,
    ) -> bool:
        """Queue one job; False when a job with this id is pending or finished already."""
        resolve(job)
        rq_id = rq_job_id(self._namespace, job_id)
        options = {
            "job_id": rq_id,
            "retry": retry_policy(retries, self._retry_base),
            "result_ttl": RESULT_TTL_SECONDS,
            "description": job_id,
            "unique": True,
        }
        for _ in range(2):
            try:
                if at is None:
                    self.queue.enqueue(RUNNER, job, *args, **options)
                else:
                    self.queue.enqueue_at(at - self._offset, RUNNER, job, *args, **options)
                return True
            except DuplicateJobError:
                if not self._discard_if_dead(rq_id):
                    return False
        return False

    def _discard_if_dead(self, rq_id: str) -> bool:
        """A failed or stopped job does not block its id, nor does one "started" by a worker that is
        gone (killed mid-job): it is deleted so the id can run again."""
        try:
            existing = Job.fetch(rq_id, connection=self.connection)
        except NoSuchJobError:
            return True
        status = existing.get_status(refresh=False)
        abandoned = status == JobStatus.STARTED and worker_is_dead(
            self.connection, self._namespace, existing.worker_name
        )
        if status in _RETRYABLE_AGAIN or abandoned:
            if abandoned:
                log.warning(
                    "job_abandoned", extra={"job_id": existing.description, "worker": existing.worker_name}
                )
            existing.delete()
            return True
        return False
