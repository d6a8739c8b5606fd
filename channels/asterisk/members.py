"""Officials' membership and pause state in Asterisk's queues, kept in step with their presence.

An official who is not offline is a member (`PJSIP/official-<id>` by default, see
`channels.asterisk.interfaces`) of every Asterisk queue whose
skills they hold at the required levels; they are paused unless their presence is `available`
(the pause reason is their away reason). Run after every AMI (re)connect and periodically, so a
presence change made in the console reaches Asterisk within one round.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from channels.asterisk.interfaces import DEFAULT, MemberInterface
from contact_center.core.db.models import Official, Queue
from contact_center.core.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Membership:
    queue: str
    interface: str
    name: str
    paused: bool
    reason: str


async def desired_members(
    uows: UnitOfWorkFactory, queues: set[str], interfaces: MemberInterface = DEFAULT
) -> dict[tuple[str, str], Membership]:
    async with uows() as uow:
        officials = (
            await uow.session.scalars(
                select(Official)
                .where(Official.active.is_(True), Official.presence != "offline")
                .options(selectinload(Official.skills))
            )
        ).all()
        rows = (
            await uow.session.scalars(
                select(Queue).where(Queue.code.in_(sorted(queues))).options(selectinload(Queue.skills))
            )
        ).all()
        needs = {q.code: {s.skill_id: s.min_level for s in q.skills} for q in rows}
        desired: dict[tuple[str, str], Membership] = {}
        for official in officials:
            levels = {s.skill_id: s.level for s in official.skills}
            paused = official.presence != "available"
            for queue, required in needs.items():
                if all(levels.get(skill, 0) >= level for skill, level in required.items()):
                    interface = interfaces.of(official.id)
                    desired[(queue, interface)] = Membership(
                        queue, interface, f"official-{official.id}", paused, official.away_reason or ""
                    )
    return desired


async def reconcile_members(
    client: Any, uows: UnitOfWorkFactory, interfaces: MemberInterface = DEFAULT
) -> int:
    """Add, remove, pause and unpause members until Asterisk matches presence; returns the changes."""
    snapshots = await client.queue_status()
    desired = await desired_members(uows, {s.name for s in snapshots}, interfaces)
    actual = {(q.name, m.interface): m for q in snapshots for m in q.members if interfaces.ours(m.interface)}
    changes = 0
    for key, want in desired.items():
        have = actual.get(key)
        if have is None:
            await client.queue_add(want.interface, want.queue, member_name=want.name, paused=want.paused)
        elif have.paused != want.paused:
            await client.queue_pause(want.interface, want.queue, want.paused, want.reason)
        else:
            continue
        changes += 1
    for queue, interface in actual.keys() - desired.keys():
        await client.queue_remove(interface, queue)
        changes += 1
    if changes:
        log.info("ami_members_reconciled", extra={"changes": changes})
    return changes
