"""Issue 14, findings 1-3: an official reaches only the objects in their scope, and an anonymous
filer's identity never reaches an agent (through the HTTP API and real socket.io clients)."""

from __future__ import annotations

from typing import Any

from aiohttp import FormData
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from contact_center.core.db.models import Conversation, Ticket, TicketEvent
from contact_center.core.db.routing_models import WorkItem
from contact_center.core.http.keys import UOW
from tests.conftest import login
from tests.integration.router_support import parts
from tests.integration.test_agents_console import agent, attended_chat
from tests.support import chat_clients

console = chat_clients.console
TRANSITO = "agente3@demo.pasto.gov.co"
SALUD = "agente2@demo.pasto.gov.co"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_an_official_cannot_transfer_a_work_item_held_by_another(
    backend: str, console: TestClient[Any, Any]
) -> None:
    """Finding 1: Tránsito's agent names the work item of agente1's live chat and moves it to himself."""
    _, _, started, accepted = await attended_chat(console)
    thief = await agent(console, TRANSITO)
    assert (await thief.call("presence", {"presence": "available"}))["ok"]
    async with console.app[UOW]() as uow:
        holder_id = await uow.session.scalar(
            select(WorkItem.official_id).where(WorkItem.id == accepted["work_item_id"])
        )
    for body in (
        {"work_item_id": accepted["work_item_id"], "to_queue_code": "transito"},
        {"work_item_id": accepted["work_item_id"], "to_official_id": 5},
    ):
        ack = await thief.call("transfer", body)
        assert ack["error"]["code"] == "not_found", ack
    for event, body in (
        ("open", {"conversation_id": started["conversation_id"]}),
        ("complete", {"conversation_id": started["conversation_id"]}),
        ("typing", {"conversation_id": started["conversation_id"], "typing": True}),
    ):
        assert (await thief.call(event, body))["error"]["code"] == "not_found", event
    async with console.app[UOW]() as uow:
        item = await uow.session.get(WorkItem, accepted["work_item_id"])
        assert item is not None and item.status == "assigned" and item.official_id == holder_id
        conversation = await uow.session.get(Conversation, started["conversation_id"])
        assert conversation is not None and conversation.state == "active"


async def test_an_accepted_pqrd_offer_is_recorded_as_the_officials_act(
    backend: str, console: TestClient[Any, Any]
) -> None:
    """Audit: the assignment names the official who accepted, not the skills router; another
    dependencia's agent cannot move that work item nor act on the ticket."""
    filed = await console.post(
        "/api/v1/pqrd",
        json={
            "type": "queja",
            "subject": "Demora",
            "description": "En el hospital.",
            "dependencia": "salud",
            "anonymous": True,
        },
    )
    assert filed.status == 201
    radicado = (await filed.json())["radicado"]
    health = await agent(console, SALUD)
    assert (await health.call("presence", {"presence": "available"}))["ok"]
    await parts(console).reload()
    offer = await health.next("offer", wait=10, where=lambda o: o["channel"] == "pqrd")
    accepted = await health.call("accept", {"offer_id": offer["offer_id"]})
    assert accepted["ok"], accepted
    async with console.app[UOW]() as uow:
        ticket = await uow.session.scalar(select(Ticket).where(Ticket.radicado == radicado))
        assert ticket is not None
        assigned = await uow.session.scalar(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.to_status == "asignado")
        )
        assert assigned is not None and assigned.actor_kind == "official"
        assert assigned.actor_id == ticket.assignee_id
    thief = await agent(console, TRANSITO)
    ack = await thief.call(
        "transfer", {"work_item_id": accepted["work_item_id"], "to_queue_code": "transito"}
    )
    assert ack["error"]["code"] == "not_found"
    ack = await thief.call("ticket_action", {"ticket_id": accepted["ticket_id"], "action": "start"})
    assert ack["error"]["code"] == "not_found"
    assert (await thief.call("accept", {"offer_id": offer["offer_id"]}))["error"]["code"] == "not_found"


async def test_attachments_follow_the_dependencia_scope(backend: str, seeded: TestClient[Any, Any]) -> None:
    """Finding 2: a file of Salud's PQRD is 404 to Tránsito's agent, as the ticket itself is."""
    form = FormData()
    for name, value in {
        "type": "denuncia",
        "subject": "Cobro",
        "description": "Cobro indebido.",
        "dependencia": "salud",
        "anonymous": "true",
    }.items():
        form.add_field(name, value)
    form.add_field("files", PNG, filename="prueba.png", content_type="image/png")
    filed = await seeded.post("/api/v1/pqrd", data=form)
    assert filed.status == 201, await filed.text()
    receipt = await filed.json()
    status = await seeded.get(
        f"/api/v1/pqrd/{receipt['radicado']}", params={"access_code": receipt["access_code"]}
    )
    file_id = (await status.json())["attachments"][0]["id"]
    url = f"/api/v1/pqrd/{receipt['radicado']}/attachments/{file_id}"

    other = bearer(await login(seeded, TRANSITO))
    assert (await seeded.get(f"/api/v1/tickets/{receipt['radicado']}", headers=other)).status == 404
    refused = await seeded.get(url, headers=other)
    assert refused.status == 404 and (await refused.json())["error"]["code"] == "not_found"
    assert (await seeded.get(url, headers=bearer(await login(seeded, SALUD)))).status == 200
    assert (await seeded.get(url, params={"access_code": receipt["access_code"]})).status == 200


async def test_an_anonymous_filers_id_never_reaches_an_agent(
    backend: str, seeded: TestClient[Any, Any]
) -> None:
    """Finding 3: `citizen_id` was hidden but the `filed` event's `actor_id` carried it."""
    body = {
        "type": "denuncia",
        "subject": "Soborno",
        "description": "En la ventanilla 3.",
        "dependencia": "salud",
        "anonymous": True,
        "data_consent": True,
        "citizen": {"name": "Testigo", "email": "testigo@example.co"},
    }
    filed = await seeded.post("/api/v1/pqrd", json=body)
    assert filed.status == 201
    radicado = (await filed.json())["radicado"]
    async with seeded.app[UOW]() as uow:
        ticket = await uow.session.scalar(select(Ticket).where(Ticket.radicado == radicado))
        assert ticket is not None and ticket.citizen_id is not None  # kept, for the notices
        filer = ticket.citizen_id

    seen = await seeded.get(f"/api/v1/tickets/{radicado}", headers=bearer(await login(seeded, SALUD)))
    detail = await seen.json()
    assert detail["citizen_id"] is None
    assert [e["actor_id"] for e in detail["events"] if e["actor_kind"] == "citizen"] == [None]

    sup = await seeded.get(
        f"/api/v1/tickets/{radicado}", headers=bearer(await login(seeded, "admin@demo.pasto.gov.co"))
    )
    assert (await sup.json())["citizen_id"] == filer


async def test_an_agents_view_of_a_citizens_history_leaves_out_their_anonymous_pqrds(
    backend: str, console: TestClient[Any, Any]
) -> None:
    """Finding 3, the console: the chat citizen's history must not link them to an anonymous PQRD."""
    official, _, started, _ = await attended_chat(console)
    async with console.app[UOW]() as uow:
        conversation = await uow.session.get(Conversation, started["conversation_id"])
        assert conversation is not None and conversation.citizen_id is not None
        citizen_id = conversation.citizen_id
    resp = await console.post(
        "/api/v1/pqrd",
        json={
            "type": "denuncia",
            "subject": "Soborno",
            "description": "En la ventanilla.",
            "anonymous": True,
        },
    )
    radicado = (await resp.json())["radicado"]
    async with console.app[UOW]() as uow:
        ticket = await uow.session.scalar(select(Ticket).where(Ticket.radicado == radicado))
        assert ticket is not None
        ticket.citizen_id = citizen_id  # as when the anonymous filer left an e-mail for notices
        earlier = Conversation(  # and the call in which they filed it
            channel="voice",
            external_id="CA-anon",
            state="closed",
            citizen_id=citizen_id,
            ticket_id=ticket.id,
            started_at=uow.clock.now(),
        )
        uow.session.add(earlier)
        await uow.commit()
        anonymous_id = ticket.id
    opened = await official.call("open", {"conversation_id": started["conversation_id"]})
    assert opened["ok"], opened
    assert radicado not in [t["radicado"] for t in opened["history"]["tickets"]]
    assert anonymous_id not in [c["ticket_id"] for c in opened["history"]["conversations"]]
