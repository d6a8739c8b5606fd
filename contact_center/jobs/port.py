"""The jobs port: how services and views hand work to the background, on any runner.

A job is an importable async function `async def fn(ctx: JobContext, *args) -> None` named by its
path "module:function". Jobs take ids (never objects), are idempotent and re-check the state they
act on, because every runner may run a job more than once (a retry, a sweep that re-drives it).

Two runners implement `Jobs`: `InlineJobs` (an asyncio task queue inside the web process, the
embedded default) and `RqJobs` (Redis Queue, `contact-center worker`). Either way the database is
the source of truth: what must happen eventually (an escalation) is recorded in a row that a
periodic sweep turns into jobs again, so a job lost with Redis or a process is re-driven.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from contact_center.config import Settings
from contact_center.domain.clock import Clock
from contact_center.services.notifier import Notifier
from contact_center.services.uow import UnitOfWorkFactory

JobArg = int | str

__all__ = ["JobArg", "JobContext", "Jobs", "Mailer", "backoff_seconds", "resolve"]


class Mailer(Protocol):
    """Outgoing e-mail; `contact_center.services.mail.SmtpMailer` is the production one."""

    async def send(self, to: str, subject: str, body: str) -> None: ...


class Jobs(Protocol):
    """Run `job` in the background, once per `job_id` while it is pending."""

    async def enqueue(
        self,
        job: str,
        *args: JobArg,
        job_id: str,
        at: datetime | None = None,
        retries: int = 3,
    ) -> None:
        """Queue `job(ctx, *args)`.

        `job_id` is deterministic (for example f"ack:{ticket_id}"): enqueueing the same id again
        while the first is pending is a no-op. `at` (timezone-aware) delays the run. A job that
        raises is retried `retries` times with exponential backoff.
        """
        ...


@dataclass
class JobContext:
    """What a job may use; built once per web process (inline) or per worker process (RQ)."""

    uow: UnitOfWorkFactory
    settings: Settings
    notifier: Notifier
    jobs: Jobs
    clock: Clock
    mailer: Mailer | None


JobFunction = Callable[..., Awaitable[None]]


def resolve(job: str) -> JobFunction:
    """The async function named "package.module:function"; ValueError when it is not one."""
    module_name, sep, name = job.partition(":")
    if not sep or not module_name or not name:
        raise ValueError(f"job must be 'module:function', got {job!r}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"job {job!r}: module cannot be imported ({exc})") from exc
    target: Any = getattr(module, name, None)
    if target is None or not callable(target):
        raise ValueError(f"{job!r} is not a function")
    fn: JobFunction = target
    return fn


def backoff_seconds(attempt: int, base: float = 2.0, cap: float = 300.0) -> float:
    """Delay before retry number `attempt` (1, 2, ...): base, 2·base, 4·base... up to `cap`."""
    return float(min(cap, base * 2 ** (attempt - 1)))
