"""The RQ worker process: runs the same job functions the embedded default runs in-process."""

from __future__ import annotations

from redis import Redis
from rq import Queue, Worker

from contact_center.config import Settings

QUEUE_NAMES = ("default",)


def queue_name(settings: Settings, name: str = "default") -> str:
    return f"{settings.redis_namespace}:{name}"


def run_worker(settings: Settings) -> int:
    assert settings.redis_url is not None
    connection = Redis.from_url(settings.redis_url)
    queues = [Queue(queue_name(settings, n), connection=connection) for n in QUEUE_NAMES]
    Worker(queues, connection=connection).work(with_scheduler=True)
    return 0
