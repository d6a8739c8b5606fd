"""`contact-center worker`: an RQ worker with its scheduler, running the same job functions the
embedded default runs in-process, and the driver of the periodic escalation sweep.

Any number of workers may run: each enqueues the sweep once a minute under an id made of the
minute, so the sweep runs once per minute whatever the number of workers, and keeps running as
long as one worker is alive.

RQ's scheduler (delayed jobs and retries) runs in a thread of this process, not in the forked child
RQ would start: a worker killed with SIGKILL takes it along instead of leaving it orphaned. The same
thread refreshes this worker's liveness key (`contact_center.core.jobs.liveness`), which lets the sweep
re-drive a job the worker was running when it died.
"""

from __future__ import annotations

import logging
import threading
import time

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker

from contact_center.core.config import Settings
from contact_center.core.jobs.liveness import beat, new_worker_name
from contact_center.core.jobs.rq_jobs import QUEUE_NAMES, RqJobs, queue_name
from contact_center.jobs.context import warn_unconfigured_channels
from contact_center.jobs.housekeeping import CurrentWorker, housekeeping
from contact_center.jobs.install import SWEEP_JOB

log = logging.getLogger(__name__)

__all__ = ["QUEUE_NAMES", "queue_name", "run_worker", "sweep_driver"]


def sweep_driver(jobs: RqJobs, interval: float, stop: threading.Event) -> None:
    """Enqueue the sweep every `interval` seconds; a Redis outage is logged and waited out."""
    while not stop.is_set():
        slot = int(time.time() // interval)
        try:
            jobs.enqueue_sync(SWEEP_JOB, (), f"sweep:{slot}", retries=0)
        except RedisError:
            log.warning("sweep_enqueue_failed", exc_info=True)
        stop.wait(interval - time.time() % interval)


def run_worker(settings: Settings) -> int:
    """Work the namespace's queues until stopped (SIGINT/SIGTERM)."""
    assert settings.redis_url is not None
    warn_unconfigured_channels(settings)  # workers send the e-mail and SMS in RQ mode
    from contact_center.pqrd.services.escalation_audience import warn_gaps_with_engine

    warn_gaps_with_engine(settings.effective_database_url)  # dependencias with nobody to escalate to
    connection = Redis.from_url(settings.redis_url)
    queues = [Queue(queue_name(settings, n), connection=connection) for n in QUEUE_NAMES]
    stop = threading.Event()
    driver = threading.Thread(
        target=sweep_driver,
        args=(RqJobs(settings), settings.escalation_sweep_seconds, stop),
        name="escalation-sweep-driver",
        daemon=True,
    )
    driver.start()
    current = CurrentWorker()
    keeper = threading.Thread(
        target=housekeeping,
        args=(connection, settings.redis_namespace, queues, current, stop),
        name="rq-scheduler-and-liveness",
        daemon=True,
    )
    keeper.start()
    try:
        _work_until_stopped(queues, connection, settings.redis_namespace, current)
    finally:
        stop.set()
        keeper.join(5)
    return 0


def _work_until_stopped(
    queues: list[Queue], connection: Redis, namespace: str, current: CurrentWorker
) -> None:
    """Run an RQ worker; when Redis goes away under it, wait for Redis and start a new one.

    RQ's own loop retries a lost connection while it waits for a job, but quits when Redis fails
    in the middle of a job's bookkeeping; production must not need a person to restart it.
    """
    while True:
        # SimpleWorker runs jobs in this process, so the job context (database pool, notifier) is
        # built once and reused instead of once per forked work horse.
        worker = _Worker(queues, connection=connection, name=new_worker_name())
        current.name = worker.name
        try:
            beat(connection, namespace, worker.name)  # alive before it can take its first job
            worker.work(with_scheduler=False)  # the scheduler runs in `housekeeping`
        except RedisError:
            log.warning("worker_lost_redis", exc_info=True)
        if _stop_requested(worker):
            return
        log.warning("worker_restarting")
        if not _wait_for_redis(connection, worker):
            return


class _Worker(SimpleWorker):
    """RQ's SimpleWorker whose command channel (pubsub) thread wakes every second instead of every
    60 s: RQ's teardown unsubscribes and then joins that thread, which, once unsubscribed, waits out
    its whole sleep, so a SIGTERM took up to a minute to stop the worker."""

    def subscribe(self) -> None:
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        # RQ declares pubsub_thread as None.
        self.pubsub_thread = self.pubsub.run_in_thread(  # type: ignore[assignment]
            sleep_time=1, daemon=True, exception_handler=self._pubsub_exception_handler
        )


def _stop_requested(worker: SimpleWorker) -> bool:
    """Whether SIGINT/SIGTERM asked this worker to stop (RQ records when, whether busy or idle)."""
    return getattr(worker, "_shutdown_requested_date", None) is not None


def _wait_for_redis(connection: Redis, worker: SimpleWorker) -> bool:
    """Wait until Redis answers (True), or until a stop is requested meanwhile (False)."""
    while not _stop_requested(worker):
        try:
            connection.ping()
            return True
        except RedisError:
            time.sleep(1)
    return False
