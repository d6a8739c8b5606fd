"""Who an escalation reaches, with a fallback for every tier, and which dependencias need one.

Tier 1 reaches the assignee; tier 2 also the dependencia's supervisors; tier 3 also the Oficina de
Atención al Ciudadano (the triage dependencia's supervisors and its own address). When the people a
tier names do not exist (no assignee yet, a dependencia without an active supervisor, an Oficina
without supervisors) the alert goes one step up the chain instead of to nobody: the dependencia's
supervisors, else the Oficina's supervisors, else the administrators. `coverage` lists the
dependencias that rely on that fallback, for the start-up warning and the admin API.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select

from contact_center.core.db.models import Dependencia, Official, Ticket
from contact_center.core.officials import Role
from contact_center.core.uow import UnitOfWork, UnitOfWorkFactory
from contact_center.pqrd.domain.escalation import Tier

log = logging.getLogger(__name__)

Fallback = Literal["atencion_ciudadano", "admins", "nobody"]


@dataclass(frozen=True)
class Audience:
    officials: list[Official]
    emails: set[str]  # the Oficina de Atención al Ciudadano's own address (tier 3)
    fallback: Fallback | None  # set when the tier's own people were missing


@dataclass(frozen=True)
class Gap:
    """A dependencia without an active supervisor, and who gets its supervisor-tier alerts instead."""

    dependencia_id: int
    code: str
    name: str
    fallback: Fallback


class _People:
    """The active officials an escalation may reach, read once per escalation."""

    def __init__(self, officials: Sequence[Official], triage: Sequence[Dependencia]) -> None:
        self.officials = [o for o in officials if o.active]
        self.triage = list(triage)
        triage_ids = {d.id for d in self.triage}
        self.oficina = self._supervisors(triage_ids)
        self.admins = [o for o in self.officials if o.role == Role.ADMIN.value]

    def _supervisors(self, dependencia_ids: Collection[int | None]) -> list[Official]:
        supervisor = Role.SUPERVISOR.value
        return [o for o in self.officials if o.role == supervisor and o.dependencia_id in dependencia_ids]

    def chain(self, dependencia_id: int | None) -> tuple[list[Official], Fallback | None]:
        """The dependencia's supervisors, else the Oficina's, else the admins."""
        own = self._supervisors({dependencia_id})
        if own:
            return own, None
        if self.oficina:
            return self.oficina, "atencion_ciudadano"
        return self.admins, "admins" if self.admins else "nobody"


async def _people(uow: UnitOfWork) -> _People:
    officials = (await uow.session.scalars(select(Official).where(Official.active.is_(True)))).all()
    triage = (await uow.session.scalars(select(Dependencia).where(Dependencia.is_triage.is_(True)))).all()
    return _People(officials, triage)


async def audience(uow: UnitOfWork, ticket: Ticket, tier: Tier) -> Audience:
    """The officials (and addresses) an escalation of `tier` reaches for `ticket`; never empty while
    the city has an active supervisor or administrator."""
    people = await _people(uow)
    found: dict[int, Official] = {}
    assignee = next((o for o in people.officials if o.id == ticket.assignee_id), None)
    if assignee is not None:
        found[assignee.id] = assignee
    fallback: Fallback | None = None
    if tier >= Tier.SUPERVISOR or assignee is None:  # nobody owns it yet: its supervisors must know
        chain, fallback = people.chain(ticket.dependencia_id)
        found.update((o.id, o) for o in chain)
    emails: set[str] = set()
    if tier >= Tier.ATENCION_CIUDADANO:
        found.update((o.id, o) for o in people.oficina)
        emails = {d.email for d in people.triage if d.email}
        if not people.oficina and not emails:
            found.update((o.id, o) for o in people.admins)
            fallback = "admins" if people.admins else "nobody"
    return Audience(sorted(found.values(), key=lambda o: o.id), emails, fallback)


async def coverage(uow: UnitOfWork) -> list[Gap]:
    """Dependencias with no active supervisor, in code order, each with the fallback that gets their
    supervisor-tier alerts ("nobody" when the city has no Oficina supervisor and no admin)."""
    people = await _people(uow)
    dependencias = (await uow.session.scalars(select(Dependencia).order_by(Dependencia.code))).all()
    gaps: list[Gap] = []
    for dep in dependencias:
        _, fallback = people.chain(dep.id)
        if fallback is not None:
            gaps.append(Gap(dep.id, dep.code, dep.name, fallback))
    return gaps


async def warn_gaps(uow: UnitOfWork) -> list[Gap]:
    """Log (once, at start-up) which dependencias have no supervisor to escalate to."""
    gaps = await coverage(uow)
    if gaps:
        log.warning(
            "escalation_without_supervisor",
            extra={
                "dependencias": [f"{g.code}->{g.fallback}" for g in gaps],
                "hint": "their supervisor-tier alerts go to the Oficina de Atención al Ciudadano's "
                "supervisors, else to the administrators; add an active supervisor to each.",
            },
        )
    return gaps


async def warn_gaps_at_startup(uows: UnitOfWorkFactory) -> None:
    """`warn_gaps` for a starting process; a database not ready yet is logged, never fatal."""
    try:
        async with uows() as uow:
            await warn_gaps(uow)
    except Exception:
        log.warning("escalation_coverage_unchecked", exc_info=True)


def warn_gaps_with_engine(database_url: str) -> None:
    """`warn_gaps` from a synchronous start-up (the RQ worker), on an engine of its own."""
    import asyncio

    from contact_center.core.clock import SystemClock
    from contact_center.core.db.engine import create_engine, session_factory
    from contact_center.core.notifier import RecordingNotifier

    async def check() -> None:
        engine = create_engine(database_url, pool_size=1)
        try:
            uows = UnitOfWorkFactory(session_factory(engine), RecordingNotifier(), SystemClock())
            await warn_gaps_at_startup(uows)
        finally:
            await engine.dispose()

    asyncio.run(check())
