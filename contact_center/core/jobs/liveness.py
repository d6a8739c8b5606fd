"""Which RQ workers are alive, so a job left "started" by a dead one is re-driven at the next sweep.

A SIGKILLed (or OOM-killed, or powered-off) worker leaves its job in RQ's started registry under its
deterministic id, and RQ only frees it when the job's timeout has passed (minutes). Every
`contact-center worker` therefore keeps a key `{namespace}:worker-alive:{worker name}` holding its
host and pid, refreshed every second with a short TTL. A started job is dead when that key is gone
(its host stopped refreshing it) or when its host is this host and the pid is not running, which
detects a local kill at once instead of after the TTL.
"""

from __future__ import annotations

import json
import os
import socket
import uuid

from redis import Redis

ALIVE_TTL_SECONDS = 10


def new_worker_name() -> str:
    """A unique RQ worker name (a new one per SimpleWorker: RQ refuses to register a name twice)."""
    return f"{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:8]}"


def alive_key(namespace: str, worker_name: str) -> str:
    return f"{namespace}:worker-alive:{worker_name}"


def beat(connection: Redis, namespace: str, worker_name: str) -> None:
    """Say this process (running `worker_name`) is alive for the next ALIVE_TTL_SECONDS."""
    value = json.dumps({"host": socket.gethostname(), "pid": os.getpid()})
    connection.set(alive_key(namespace, worker_name), value, ex=ALIVE_TTL_SECONDS)


def forget(connection: Redis, namespace: str, worker_name: str) -> None:
    connection.delete(alive_key(namespace, worker_name))


def worker_is_dead(connection: Redis, namespace: str, worker_name: str | None) -> bool:
    """Whether the worker that started a job is gone (no fresh key, or a local pid not running)."""
    if not worker_name:
        return True
    raw = connection.get(alive_key(namespace, worker_name))
    if raw is None:
        return True
    try:
        found = json.loads(raw)
        host, pid = str(found["host"]), int(found["pid"])
    except (ValueError, KeyError, TypeError):
        return True
    return host == socket.gethostname() and not _pid_running(pid)


def _pid_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True
