"""The jobs port as a request sees it: enqueueing is best-effort, never an error after a commit.

A web process enqueues after its transaction committed (a filing's acknowledgement, a sign-up's
verification e-mail, an escalation policy's rescheduling) or for work whose due time is already in
a row (a callback retry). Every such job acts on a row that the periodic sweep re-drives
(`outbound_messages` still `pending`, an unfinished rescheduling, a callback waiting for its
retry), so when Redis is down the job is not lost, only late. Raising instead turned a committed
filing into a 500: the citizen never saw the radicado and a retry without `Idempotency-Key` filed
it twice. So a failed or slow enqueue is logged (`job_enqueue_failed`, with the job id), counted,
and swallowed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime

from contact_center.core.jobs.port import JobArg, Jobs

log = logging.getLogger(__name__)
# Enqueueing is one Redis round trip; a Redis that does not answer must not hold the request.
ENQUEUE_TIMEOUT_SECONDS = 5.0


class BestEffortJobs:
    """Wraps a `Jobs` runner: what it cannot enqueue now, the sweep enqueues later."""

    def __init__(self, inner: Jobs, timeout: float = ENQUEUE_TIMEOUT_SECONDS) -> None:
        self.inner, self.timeout = inner, timeout
        self.failures = 0

    async def enqueue(
        self,
        job: str,
        *args: JobArg,
        job_id: str,
        at: datetime | None = None,
        retries: int = 3,
    ) -> None:
        try:
            await asyncio.wait_for(
                self.inner.enqueue(job, *args, job_id=job_id, at=at, retries=retries), self.timeout
            )
        except Exception as exc:  # Redis down or slow: the row stays for the sweep
            self._failed([job_id], exc)

    async def enqueue_many(self, items: Sequence[tuple[str, tuple[JobArg, ...], str]]) -> int:
        batch = getattr(self.inner, "enqueue_many", None)
        try:
            if batch is not None:
                return int(await asyncio.wait_for(batch(items), self.timeout))
            for job, args, job_id in items:
                await asyncio.wait_for(self.inner.enqueue(job, *args, job_id=job_id), self.timeout)
        except Exception as exc:
            self._failed([job_id for _, _, job_id in items], exc)
            return 0
        return len(items)

    def _failed(self, job_ids: list[str], exc: BaseException) -> None:
        self.failures += 1
        log.warning(
            "job_enqueue_failed",
            extra={"job_ids": job_ids[:10], "error": type(exc).__name__, "redriven_by": "sweep"},
        )
