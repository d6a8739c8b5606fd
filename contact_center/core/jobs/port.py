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

from contact_center.core.clock import Clock
from contact_center.core.config import Settings
from contact_center.core.notifier import Notifier
from contact_center.core.uow import UnitOfWorkFactory

JobArg = int | str

__all__ = [
    "JobArg",
    "JobContext",
    "Jobs",
    "Mailer",
    "SmsSender",
    "SmsUnavailable",
    "backoff_seconds",
    "resolve",
]


class Mailer(Protocol):
    """Outgoing e-mail; `contact_center.outbound.services.mail.SmtpMailer` is the production one."""

    async def send(self, to: str, subject: str, body: str) -> None: ...


class SmsSender(Protocol):
    """Outgoing SMS; `channels.twilio.sms.TwilioSms` is the production one."""

    async def send(self, to: str, body: str) -> str: ...


class SmsUnavailable(Exception):
    """The SMS provider could not be reached or refused the message; worth retrying later."""


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
    sms: SmsSender | None = None


JobFunction = Callable[..., Awaitable[None]]


# Jobs queued by a release before the feature packages (docs/architecture.md) may still wait in
# Redis during an upgrade: their old paths keep resolving to the same functions.
LEGACY_JOB_PATHS = {
    "contact_center.jobs.ack:send_acknowledgement": "contact_center.pqrd.jobs:send_acknowledgement",
    "contact_center.services.notifications:deliver_job": "contact_center.outbound.jobs:deliver_job",
    "contact_center.services.escalation:escalate_job": "contact_center.pqrd.services.escalation:escalate_job",
    "contact_center.services.escalation:sweep_job": "contact_center.pqrd.services.escalation:sweep_job",
    "contact_center.services.escalation_policy:reschedule_job": (
        "contact_center.pqrd.services.rescheduling:reschedule_job"
    ),
    "contact_center.services.citizen_accounts:send_verification_job": (
        "contact_center.citizens.services.accounts:send_verification_job"
    ),
}


def resolve(job: str) -> JobFunction:
    """The async function named "package.module:function"; ValueError when it is not one."""
    job = LEGACY_JOB_PATHS.get(job, job)
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
