"""The in-process runner of the embedded default: an asyncio task queue inside the web process.

Jobs run on the app's event loop after they are enqueued, a few at a time; a failing job is
retried with exponential backoff; a pending job id (queued, delayed or running) is not queued
twice. Nothing survives a restart: what must happen is re-driven from the database by the sweep.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contact_center.core.clock import Clock
from contact_center.core.jobs.port import JobArg, JobContext, backoff_seconds, resolve

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Pending:
    job: str
    args: tuple[JobArg, ...]
    job_id: str
    retries_left: int
    attempt: int = 1


class InlineJobs:
    """`Jobs` on the running event loop; `start()` and `stop()` bound its lifetime (a cleanup_ctx)."""

    def __init__(self, clock: Clock, *, concurrency: int = 4, retry_base_seconds: float = 2.0) -> None:
        self._clock = clock
        self._concurrency = concurrency
        self._retry_base = retry_base_seconds
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._pending: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._context: JobContext | None = None
        self._settled = asyncio.Event()  # set whenever a job id stops being pending
        self.completed = 0  # jobs that ran to the end, for tests and /metrics-style checks
        self.running = 0  # jobs executing now (the "started" gauge of /metrics)
        self.failed = 0  # jobs that failed after their last retry, since start-up

    def counts(self) -> dict[str, int]:
        """/metrics' gauges, as RQ's registries give them: waiting to run (queued or delayed),
        running, failed for good."""
        waiting = len(self._pending) - self.running
        return {"queued": max(waiting, 0), "started": self.running, "failed": self.failed}

    def start(self, context: JobContext) -> None:
        self._context = context
        for index in range(self._concurrency):
            self._spawn(self._work(), f"inline-jobs-{index}")

    async def stop(self) -> None:
        tasks, self._tasks = set(self._tasks), set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._pending.clear()

    async def enqueue(
        self,
        job: str,
        *args: JobArg,
        job_id: str,
        at: datetime | None = None,
        retries: int = 3,
    ) -> None:
        if job_id in self._pending:
            return
        resolve(job)  # a wrong name fails the caller now, not a worker later
        self._pending.add(job_id)
        item = _Pending(job, args, job_id, retries)
        delay = 0.0 if at is None else (at - self._clock.now()).total_seconds()
        self._put_later(item, delay)

    async def idle(self) -> None:
        """Wait until nothing is pending (tests; a drain before shutdown)."""
        while self._pending:
            self._settled.clear()
            await self._settled.wait()

    def _put_later(self, item: _Pending, delay: float) -> None:
        if delay <= 0:
            self._queue.put_nowait(item)
            return
        self._spawn(self._delayed(item, delay), f"job-delay-{item.job_id}")

    async def _delayed(self, item: _Pending, delay: float) -> None:
        await asyncio.sleep(delay)
        self._queue.put_nowait(item)

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _work(self) -> None:
        while True:
            item = await self._queue.get()
            try:
                await self._run(item)
            finally:
                self._queue.task_done()

    async def _run(self, item: _Pending) -> None:
        assert self._context is not None, "start() gives the runner its context"
        self.running += 1
        try:
            await resolve(item.job)(self._context, *item.args)
        except asyncio.CancelledError:
            raise
        except Exception:
            if item.retries_left > 0:
                delay = backoff_seconds(item.attempt, self._retry_base)
                log.warning(
                    "job_retry", extra={"job_id": item.job_id, "attempt": item.attempt}, exc_info=True
                )
                retry = _Pending(item.job, item.args, item.job_id, item.retries_left - 1, item.attempt + 1)
                self._put_later(retry, delay)
                return
            log.exception("job_failed", extra={"job_id": item.job_id, "job": item.job})
            self.failed += 1
        else:
            self.completed += 1
        finally:
            self.running -= 1
        self._pending.discard(item.job_id)
        self._settled.set()
