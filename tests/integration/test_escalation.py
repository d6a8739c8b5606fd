"""Escalation on the legal clock, driven by the in-process sweep while a fake clock moves."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from contact_center.core.clock import BOGOTA, FakeClock
from contact_center.core.config import Settings
from contact_center.core.http.keys import JOBS, UOW
from contact_center.outbound.models import OutboundMessage
from contact_center.pqrd.services import actions as ticket_actions
from contact_center.pqrd.services.escalation import ESCALATE_JOB, escalate, escalate_job_id
from contact_center.pqrd.services.tickets import Actor
from contact_center.seed import seed_demo
from tests.conftest import AppFactory, login
from tests.integration.escalation_support import (
    SALUD_SUPERVISOR,
    add_salud_supervisor,
    escalation_events,
    eventually,
    file_salud_ticket,
    load_ticket,
    official_id,
)
from tests.support.sockets import connect

AGENT = "agente2@demo.pasto.gov.co"  # Salud
CITY_SUPERVISOR = "supervisor@demo.pasto.gov.co"  # Oficina de Atención al Ciudadano
# A petición filed on Monday 2026-11-23 is due on 2026-12-15 (8 December is a holiday).
STEPS = [
    ("forwarding", date(2026, 11, 30), 1),
    ("term_50", date(2026, 12, 3), 1),
    ("completion_request", date(2026, 12, 7), 1),
    ("term_80", date(2026, 12, 10), 1),
    ("left_2", date(2026, 12, 11), 2),
    ("extension_notice", date(2026, 12, 14), 2),
    ("left_0", date(2026, 12, 15), 2),
    ("overdue", date(2026, 12, 16), 3),
]


async def _app(make_client: AppFactory, make_settings: Callable[..., Settings]) -> TestClient[Any, Any]:
    client = await make_client(make_settings(escalation_sweep_seconds=0.05, jobs_retry_base_seconds=0.01))
    async with client.app[UOW]() as uow:
        await seed_demo(uow)
    return client


async def _listen(
    client: TestClient[Any, Any], namespace: str, email: str
) -> tuple[Any, list[dict[str, Any]]]:
    received: list[dict[str, Any]] = []
    sio, refused = await connect(str(client.make_url("/")), namespace, {"token": await login(client, email)})
    assert refused is None

    async def on_escalated(data: dict[str, Any]) -> None:
        received.append(data)

    sio.on("ticket.escalated", on_escalated, namespace=namespace)
    return sio, received


async def test_a_ticket_walks_through_every_escalation_step_once_each(
    make_client: AppFactory, make_settings: Callable[..., Settings], clock: FakeClock
) -> None:
    client = await _app(make_client, make_settings)
    uows = client.app[UOW]
    await add_salud_supervisor(uows)
    agent = await official_id(uows, AGENT)
    ticket_id = await file_salud_ticket(uows, agent)
    sockets = [
        await _listen(client, "/agents", AGENT),
        await _listen(client, "/agents", SALUD_SUPERVISOR),
        await _listen(client, "/supervisors", CITY_SUPERVISOR),
    ]
    for step, (key, day, tier) in enumerate(STEPS, start=1):
        scheduled = (await load_ticket(uows, ticket_id)).next_escalation_at
        assert scheduled is not None and scheduled.astimezone(BOGOTA).date() == day, key
        assert scheduled.astimezone(BOGOTA).hour == 8
        clock.set(scheduled)

        async def fired(step: int = step) -> bool:
            return (await load_ticket(uows, ticket_id)).escalation_step == step

        await eventually(fired, what=f"step {step} ({key})")
        last = (await escalation_events(uows, ticket_id))[-1]
        assert (last["point"], last["step"], last["tier"]) == (key, step, tier)
    assert (await load_ticket(uows, ticket_id)).next_escalation_at is None

    clock.advance(days=30)  # nothing left to fire, however long we wait
    await asyncio.sleep(0.3)
    await client.app[JOBS].enqueue(ESCALATE_JOB, ticket_id, 8, job_id="again-8")
    await client.app[JOBS].enqueue(ESCALATE_JOB, ticket_id, 3, job_id="again-3")
    await asyncio.sleep(0.3)
    assert [e["point"] for e in await escalation_events(uows, ticket_id)] == [k for k, _, _ in STEPS]

    (agent_sio, to_agent), (sup_sio, to_salud_sup), (city_sio, to_supervisors) = sockets
    await eventually(lambda: _true(len(to_agent) == 8), what="8 console notices to the assignee")
    assert [e["point"] for e in to_agent] == [k for k, _, _ in STEPS]
    assert [e["point"] for e in to_salud_sup] == ["left_2", "extension_notice", "left_0", "overdue"]
    assert [e["point"] for e in to_supervisors] == ["left_2", "extension_notice", "left_0", "overdue"]
    for sio in (agent_sio, sup_sio, city_sio):
        await sio.disconnect()

    async with uows() as uow:
        mails = (
            await uow.session.execute(
                select(OutboundMessage.to, OutboundMessage.subject).where(
                    OutboundMessage.ticket_id == ticket_id
                )
            )
        ).all()
    recipients = [to for to, _ in mails]
    assert recipients.count(AGENT) == 8
    assert recipients.count(SALUD_SUPERVISOR) == 4
    assert recipients.count(CITY_SUPERVISOR) == 1  # only "overdue" reaches the Oficina de Atención
    assert all(subject.startswith("Alerta de vencimiento") for _, subject in mails)


async def _true(value: bool) -> bool:
    return value


async def test_a_ticket_answered_before_its_job_runs_is_not_escalated(
    make_client: AppFactory, make_settings: Callable[..., Settings], clock: FakeClock
) -> None:
    client = await _app(make_client, make_settings)
    uows = client.app[UOW]
    agent = await official_id(uows, AGENT)
    ticket_id = await file_salud_ticket(uows, agent)
    first = (await load_ticket(uows, ticket_id)).next_escalation_at
    assert first is not None
    async with uows() as uow:
        ticket = await load_ticket_in(uow, ticket_id)
        await ticket_actions.answer(uow, ticket, Actor("official", agent), text="Se programó la entrega.")
        await uow.commit()
    assert (await load_ticket(uows, ticket_id)).next_escalation_at is None
    clock.set(first)
    # A job enqueued before the answer (say, by a sweep) still runs: it re-checks and does nothing.
    await client.app[JOBS].enqueue(ESCALATE_JOB, ticket_id, 1, job_id=escalate_job_id(ticket_id, 1))
    await asyncio.sleep(0.3)
    assert await escalation_events(uows, ticket_id) == []
    assert (await load_ticket(uows, ticket_id)).escalation_step == 0


async def test_a_suspended_ticket_stops_escalating_and_resumes_when_the_citizen_completes(
    make_client: AppFactory, make_settings: Callable[..., Settings], clock: FakeClock
) -> None:
    client = await _app(make_client, make_settings)
    uows = client.app[UOW]
    agent = await official_id(uows, AGENT)
    ticket_id = await file_salud_ticket(uows, agent)
    async with uows() as uow:
        ticket = await load_ticket_in(uow, ticket_id)
        await ticket_actions.request_completion(
            uow, ticket, Actor("official", agent), reason="Falta la fórmula médica."
        )
        await uow.commit()
    assert (await load_ticket(uows, ticket_id)).next_escalation_at is None
    clock.advance(days=7)
    async with uows() as uow:
        ticket = await load_ticket_in(uow, ticket_id)
        await ticket_actions.record_completion(uow, ticket, Actor("citizen"))
        await uow.commit()
    resumed = await load_ticket(uows, ticket_id)
    assert resumed.next_escalation_at is not None and resumed.next_escalation_at > clock.now()


async def test_two_runs_of_the_same_step_at_once_fire_it_once(
    make_client: AppFactory, make_settings: Callable[..., Settings], clock: FakeClock
) -> None:
    client = await _app(make_client, make_settings)
    uows = client.app[UOW]
    ticket_id = await file_salud_ticket(uows, await official_id(uows, AGENT))
    scheduled = (await load_ticket(uows, ticket_id)).next_escalation_at
    assert scheduled is not None
    clock.set(scheduled)

    async def run() -> object:
        async with uows() as uow:
            return await escalate(uow, ticket_id, 1)

    results = await asyncio.gather(run(), run(), run())
    await eventually(lambda: _steps_at_least(uows, ticket_id, 1), what="step 1")
    assert len(await escalation_events(uows, ticket_id)) == 1
    assert sum(r is not None for r in results) <= 1


async def _steps_at_least(uows: Any, ticket_id: int, step: int) -> bool:
    return (await load_ticket(uows, ticket_id)).escalation_step >= step


async def load_ticket_in(uow: Any, ticket_id: int) -> Any:
    from contact_center.core.db.models import Ticket

    ticket = await uow.session.get(Ticket, ticket_id)
    assert ticket is not None
    return ticket
