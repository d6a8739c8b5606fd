"""The escalation policy an administrator sets, and the rescheduling of open tickets after a change.

The policy is one JSON row of `legal_clock_settings` (key "escalation_policy": its revision and
the policy in `policy_to_dict`'s shape); with no row, the defaults of `EscalationPolicy` apply.
A change bumps the revision and records a reschedule to do (key "escalation_reschedule": revision,
the last ticket id done, whether it is finished). The job `reschedule_job` then walks the tickets
whose clock runs in id order, a batch per transaction, recomputing `next_escalation_at` with the
policy as stored when the batch starts, and saving its place after each batch. It is idempotent
(recomputing twice gives the same value), a newer revision makes an older job stop, and the sweep
re-enqueues it while it is not finished, so a job lost with a process still completes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contact_center.core.jobs.port import Jobs
from contact_center.core.uow import UnitOfWork
from contact_center.pqrd.domain.escalation import EscalationPolicy, policy_from_dict, policy_to_dict
from contact_center.pqrd.domain.tickets import CLOCK_RUNNING_STATUSES
from contact_center.pqrd.models.legal import LegalClockSetting
from contact_center.pqrd.services.config_cache import cached

log = logging.getLogger(__name__)

POLICY_KEY = "escalation_policy"
RESCHEDULE_KEY = "escalation_reschedule"
RESCHEDULE_JOB = "contact_center.pqrd.services.rescheduling:reschedule_job"
RESCHEDULE_BATCH = 500
_RUNNING = sorted(s.value for s in CLOCK_RUNNING_STATUSES)


@dataclass(frozen=True)
class Reschedule:
    """Progress of the rescheduling that follows a policy change."""

    revision: int
    after_id: int
    tickets: int
    done: bool


@dataclass(frozen=True)
class StoredPolicy:
    """The policy in force, its revision (0: the defaults, never changed) and the reschedule."""

    policy: EscalationPolicy
    revision: int
    updated_at: datetime | None
    updated_by: int | None
    reschedule: Reschedule | None


async def stored_policy(uow: UnitOfWork) -> StoredPolicy:
    row = await uow.session.get(LegalClockSetting, POLICY_KEY)
    progress = await reschedule_progress(uow)
    if row is None:
        return StoredPolicy(EscalationPolicy(), 0, None, None, progress)
    value: Mapping[str, Any] = row.value
    policy = policy_from_dict(value["policy"])
    return StoredPolicy(policy, int(value["revision"]), row.updated_at, row.updated_by, progress)


async def load_policy(uow: UnitOfWork) -> EscalationPolicy:
    """The escalation policy in force (stored, else the defaults), from the configuration cache."""
    return await cached(uow, POLICY_KEY, lambda: _read_policy(uow))


async def _read_policy(uow: UnitOfWork) -> EscalationPolicy:
    row = await uow.session.get(LegalClockSetting, POLICY_KEY)
    return EscalationPolicy() if row is None else policy_from_dict(row.value["policy"])


async def set_policy(uow: UnitOfWork, changes: Mapping[str, Any], official_id: int | None) -> StoredPolicy:
    """Change the policy (keys left out keep their value), validated whole; commits.

    Records a reschedule of the open tickets under the new revision; `start_reschedule` (or the
    next sweep) enqueues it.
    """
    current = await stored_policy(uow)
    merged = policy_from_dict({**policy_to_dict(current.policy), **changes})
    return await _store(uow, merged, current.revision + 1, official_id)


async def reset_policy(uow: UnitOfWork, official_id: int | None) -> StoredPolicy:
    """Back to the defaults (as a new revision, so open tickets are rescheduled too); commits."""
    current = await stored_policy(uow)
    return await _store(uow, EscalationPolicy(), current.revision + 1, official_id)


async def _store(
    uow: UnitOfWork, policy: EscalationPolicy, revision: int, official_id: int | None
) -> StoredPolicy:
    now = uow.clock.now()
    value = {"revision": revision, "policy": policy_to_dict(policy)}
    await put_setting(uow, POLICY_KEY, value, official_id)
    await put_setting(
        uow, RESCHEDULE_KEY, {"revision": revision, "after_id": 0, "tickets": 0, "done": False}, official_id
    )
    await uow.commit()
    log.info("escalation_policy_changed", extra={"revision": revision, "official_id": official_id})
    return StoredPolicy(policy, revision, now, official_id, Reschedule(revision, 0, 0, False))


async def put_setting(uow: UnitOfWork, key: str, value: Any, official_id: int | None) -> None:
    row = await uow.session.get(LegalClockSetting, key)
    if row is None:
        row = LegalClockSetting(key=key)
        uow.session.add(row)
    row.value, row.updated_at, row.updated_by = value, uow.clock.now(), official_id


async def reschedule_progress(uow: UnitOfWork) -> Reschedule | None:
    row = await uow.session.get(LegalClockSetting, RESCHEDULE_KEY, populate_existing=True)
    if row is None:
        return None
    v = row.value
    return Reschedule(int(v["revision"]), int(v["after_id"]), int(v["tickets"]), bool(v["done"]))


def reschedule_job_id(revision: int) -> str:
    return f"esc-policy:{revision}"


async def start_reschedule(jobs: Jobs, revision: int) -> None:
    """Enqueue the rescheduling of a policy revision (after the change committed)."""
    await jobs.enqueue(RESCHEDULE_JOB, revision, job_id=reschedule_job_id(revision))


async def unfinished_reschedule(uow: UnitOfWork) -> int | None:
    """The revision whose rescheduling is not finished, for the sweep to re-drive; else None."""
    progress = await reschedule_progress(uow)
    return progress.revision if progress is not None and not progress.done else None
