"""The supervisor dashboard: a snapshot on join, pushed (coalesced) when queues or officials change,
PQRDs by days left per dependencia, and the supervisor's actions within their dependencia."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import event, select

from contact_center.core.db.models import Official, Ticket
from contact_center.core.http.keys import ENGINE, UOW
from contact_center.pqrd.domain.legal_clock import PqrdType
from contact_center.pqrd.services.tickets import SYSTEM, NewTicket, file_ticket
from tests.conftest import TEST_SECRET, login
from tests.support import chat_clients
from tests.support.chat_clients import Peer, citizen

console = chat_clients.console
SUPERVISOR = "supervisor@demo.pasto.gov.co"


async def supervisor(client: TestClient[Any, Any]) -> tuple[Peer, dict[str, Any]]:
    peer = await Peer("/supervisors").connect(
        str(client.make_url("/")), {"token": await login(client, SUPERVISOR)}
    )
    return peer, await peer.next("dashboard")


def waiting(snapshot: dict[str, Any], code: str) -> int:
    return int(next(q["waiting"] for q in snapshot["queues"] if q["code"] == code))


async def test_the_queue_change_is_pushed_without_polling(
    backend: str, console: TestClient[Any, Any]
) -> None:
    sup, first = await supervisor(console)
    assert waiting(first, "hacienda") == 0 and first["officials"] and first["pqrd"]
    await citizen(str(console.make_url("/")), topic="hacienda")
    pushed = await sup.next("dashboard", wait=5, where=lambda d: waiting(d, "hacienda") == 1)
    assert pushed["history"] and pushed["history"][-1][1] >= 1


async def test_updates_are_coalesced_to_a_few_per_second(backend: str, console: TestClient[Any, Any]) -> None:
    sup, _ = await supervisor(console)
    url = str(console.make_url("/"))
    started = time.monotonic()
    for _ in range(12):  # a burst of changes
        await citizen(url, topic="transito")
    await sup.next("dashboard", wait=5, where=lambda d: waiting(d, "transito") == 12)
    elapsed = max(time.monotonic() - started, 0.5)
    got = 1 + len(sup.drain("dashboard"))
    assert got <= 4 * elapsed + 2, (got, elapsed)


async def test_pqrd_by_days_left_per_dependencia(backend: str, console: TestClient[Any, Any]) -> None:
    async with console.app[UOW]() as uow:
        new = NewTicket(PqrdType.PETICION, "Hueco", "En la carrera 27", "web", dependencia_code="transito")
        filed = await file_ticket(uow, new, SYSTEM, secret=TEST_SECRET.encode())
        ticket = await uow.session.get(Ticket, filed.id)
        assert ticket is not None
        ticket.due_date = uow.clock.now().date()  # due today (the clock is a Monday 10:00 in Bogotá)
        await uow.commit()
    _, snapshot = await supervisor(console)
    transito = next(p for p in snapshot["pqrd"] if p["code"] == "transito")
    assert transito["today"] == 1 and transito["overdue"] == 0


async def test_supervisor_changes_presence_of_an_official_of_their_dependencia(
    backend: str, console: TestClient[Any, Any]
) -> None:
    sup, _ = await supervisor(console)
    async with console.app[UOW]() as uow:
        agent_id = await uow.session.scalar(
            select(Official.id).where(Official.email == "agente1@demo.pasto.gov.co")
        )
    ack = await sup.call(
        "set_presence", {"official_id": agent_id, "presence": "away", "reason": "Capacitación"}
    )
    assert ack["ok"], ack
    pushed = await sup.next(
        "dashboard",
        wait=5,
        where=lambda d: any(o["id"] == agent_id and o["presence"] == "away" for o in d["officials"]),
    )
    assert next(o for o in pushed["officials"] if o["id"] == agent_id)["away_reason"] == "Capacitación"


async def test_supervisor_reassigns_a_pqrd(backend: str, console: TestClient[Any, Any]) -> None:
    async with console.app[UOW]() as uow:
        filed = await file_ticket(
            uow,
            NewTicket(PqrdType.QUEJA, "Demora", "Sin respuesta", "web"),
            SYSTEM,
            secret=TEST_SECRET.encode(),
        )
        await uow.commit()
        agent_id = await uow.session.scalar(
            select(Official.id).where(Official.email == "agente1@demo.pasto.gov.co")
        )
    sup, _ = await supervisor(console)
    ack = await sup.call(
        "reassign", {"ticket_id": filed.id, "official_id": agent_id, "reason": "Carga equilibrada"}
    )
    assert ack["ok"] and ack["assignee_id"] == agent_id
    assert (await sup.next("ticket.updated"))["assignee_id"] == agent_id
    agent = await Peer("/agents").connect(
        str(console.make_url("/")), {"token": await login(console, "agente1@demo.pasto.gov.co")}
    )
    mine = await agent.call("tickets", {})
    assert [t["id"] for t in mine["tickets"]] == [filed.id] and mine["tickets"][0]["urgency"] == "ok"
    started = await agent.call("ticket_action", {"ticket_id": filed.id, "action": "start"})
    assert started.get("ok"), started
    answered = await agent.call(
        "ticket_action", {"ticket_id": filed.id, "action": "answer", "text": "Ya se atendió."}
    )
    assert answered.get("ok"), answered
    assert answered["ticket"]["status"] == "respondido"


async def test_nothing_is_recomputed_while_nothing_changes_and_a_change_is_pushed_promptly(
    backend: str, console: TestClient[Any, Any]
) -> None:
    sup, _ = await supervisor(console)
    await asyncio.sleep(0.5)  # the join's own snapshot is done
    sup.drain("dashboard")
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        statements.append(sql)

    engine = console.app[ENGINE].sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        await asyncio.sleep(2.0)  # nobody does anything: several former 0.4 s ticks
        assert not [sql for sql in statements if "FROM official_capacities" in sql], statements
        assert not sup.drain("dashboard")
        started = time.monotonic()
        await citizen(str(console.make_url("/")), topic="hacienda")
        await sup.next("dashboard", wait=3, where=lambda d: waiting(d, "hacienda") == 1)
        assert time.monotonic() - started < 1.5
    finally:
        event.remove(engine, "before_cursor_execute", count)
