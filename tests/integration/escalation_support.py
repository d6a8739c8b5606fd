"""Helpers shared by the escalation, jobs and notification tests: a demo PQRD and polling."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from contact_center.core.auth import hash_password
from contact_center.core.db.models import Dependencia, Official, Ticket, TicketEvent
from contact_center.core.officials import Role
from contact_center.core.uow import UnitOfWorkFactory
from contact_center.pqrd.domain.legal_clock import PqrdType
from contact_center.pqrd.services import actions as ticket_actions
from contact_center.pqrd.services.tickets import Actor, NewTicket, file_ticket
from tests.conftest import TEST_SECRET

SALUD_SUPERVISOR = "supervisora.salud@demo.pasto.gov.co"


async def add_salud_supervisor(uows: UnitOfWorkFactory) -> int:
    """The demo city has no supervisor in Salud; escalations to tier 2 need one."""
    async with uows() as uow:
        salud = (await uow.session.scalars(select(Dependencia).where(Dependencia.code == "salud"))).one()
        official = Official(
            email=SALUD_SUPERVISOR,
            name="Supervisora de Salud",
            role=Role.SUPERVISOR.value,
            password_hash=hash_password("demo-195"),
            dependencia_id=salud.id,
            created_at=uow.clock.now(),
        )
        uow.session.add(official)
        await uow.commit()
        return official.id


async def official_id(uows: UnitOfWorkFactory, email: str) -> int:
    async with uows() as uow:
        return int((await uow.session.scalars(select(Official.id).where(Official.email == email))).one())


async def file_salud_ticket(
    uows: UnitOfWorkFactory,
    assignee: int | None,
    *,
    filed_at: datetime | None = None,
    citizen_id: int | None = None,
    notify_by_email: bool = False,
) -> int:
    """A petición for Salud, assigned and being worked on (when `assignee` is given); its id."""
    new = NewTicket(
        PqrdType.PETICION,
        "Demora en la entrega de medicamentos",
        "Llevo tres semanas esperando la entrega en el centro de salud de Lorenzo.",
        "web",
        dependencia_code="salud",
        citizen_id=citizen_id,
        notify_by_email=notify_by_email,
        filed_at=filed_at,
    )
    async with uows() as uow:
        filed = await file_ticket(uow, new, Actor("citizen"), secret=TEST_SECRET.encode())
        await uow.commit()
    if assignee is not None:
        async with uows() as uow:
            ticket = await uow.session.get(Ticket, filed.id)
            assert ticket is not None
            await ticket_actions.assign(uow, ticket, assignee, Actor("system"))
            await ticket_actions.start_work(uow, ticket, Actor("official", assignee))
            await uow.commit()
    return filed.id


async def request_completion(uows: UnitOfWorkFactory, ticket_id: int, official: int, reason: str) -> None:
    """The official asks the citizen to complete the petición: the legal clock is suspended and the
    citizen is sent a notice."""
    async with uows() as uow:
        ticket = await uow.session.get(Ticket, ticket_id)
        assert ticket is not None
        await ticket_actions.request_completion(uow, ticket, Actor("official", official), reason=reason)
        await uow.commit()


async def load_ticket(uows: UnitOfWorkFactory, ticket_id: int) -> Ticket:
    async with uows() as uow:
        ticket = await uow.session.get(Ticket, ticket_id)
        assert ticket is not None
        uow.session.expunge(ticket)  # keep its loaded values after the unit of work rolls back
        return ticket


async def escalation_events(uows: UnitOfWorkFactory, ticket_id: int) -> list[dict[str, Any]]:
    async with uows() as uow:
        rows = await uow.session.scalars(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == "escalated")
            .order_by(TicketEvent.seq)
        )
        return [dict(e.data, reason=e.reason) for e in rows.all()]


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 10.0, what: str = "") -> None:
    """Poll `check` until it holds; fail with `what` after `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
