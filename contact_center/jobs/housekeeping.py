"""The worker's housekeeping thread: RQ's scheduler (delayed jobs, retries) and the liveness key.

Run in a thread of `contact-center worker` so that nothing outlives the worker: RQ's own
`work(with_scheduler=True)` forks a scheduler child that a SIGKILL of the worker leaves running.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.scheduler import RQScheduler

from contact_center.core.jobs.liveness import beat, forget

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0


@dataclass
class CurrentWorker:
    """The name of the RQ worker this process runs now (a new one after a Redis outage)."""

    name: str | None = None


def housekeeping(
    connection: Redis, namespace: str, queues: list[Queue], current: CurrentWorker, stop: threading.Event
) -> None:
    """Every second until `stop`: refresh the liveness key, hold the scheduler lock, move due
    scheduled jobs to their queues. A Redis outage is logged and waited out."""
    names = {q.name for q in queues}
    scheduler: Any = RQScheduler(sorted(names), connection=connection, interval=int(TICK_SECONDS))  # untyped
    while not stop.is_set():
        try:
            _tick(connection, namespace, scheduler, names, current)
        except RedisError:
            log.warning("housekeeping_lost_redis", exc_info=True)
        stop.wait(TICK_SECONDS)
    try:
        scheduler.release_locks()
        if current.name is not None:
            forget(connection, namespace, current.name)
    except RedisError:
        pass  # the keys expire by themselves


def _tick(connection: Redis, namespace: str, scheduler: Any, names: set[str], current: CurrentWorker) -> None:
    if current.name is not None:
        beat(connection, namespace, current.name)
    if scheduler.acquired_locks != names:  # another worker's lock expires when it dies: take over
        scheduler.acquire_locks()
    if scheduler.acquired_locks:
        scheduler.heartbeat()
        scheduler.enqueue_scheduled_jobs()
