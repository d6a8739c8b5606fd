"""Officials work PQRDs through the ticket API: scope by role, every lifecycle action, clear 409s."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from contact_center.core.clock import FakeClock
from contact_center.core.http.keys import UOW
from contact_center.pqrd.domain.legal_clock import PqrdType
from contact_center.pqrd.services import tickets
from contact_center.pqrd.services.tickets import Actor, NewTicket
from tests.conftest import TEST_SECRET, login
from tests.support.sockets import connect

ADMIN, SUPERVISOR = "admin@demo.pasto.gov.co", "supervisor@demo.pasto.gov.co"
AGENT1, AGENT2 = "agente1@demo.pasto.gov.co", "agente2@demo.pasto.gov.co"  # triage / Salud


async def _file(client: TestClient[Any, Any], dependencia: str | None = None, **kw: Any) -> str:
    new = NewTicket(PqrdType.PETICION, "Hueco en la 27", "Un hueco profundo.", "web", dependencia, **kw)
    async with client.app[UOW]() as uow:
        filed = await tickets.file_ticket(uow, new, Actor("citizen"), secret=TEST_SECRET.encode())
        await uow.commit()
    return filed.radicado


async def _auth(client: TestClient[Any, Any], email: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {await login(client, email)}"}


async def _post(
    client: TestClient[Any, Any], who: dict[str, str], radicado: str, action: str, **body: Any
) -> Any:
    resp = await client.post(f"/api/v1/tickets/{radicado}/{action}", json=body, headers=who)
    return resp.status, await resp.json()


async def test_the_whole_lifecycle_writes_one_event_per_change(
    backend: str, seeded: TestClient[Any, Any], clock: FakeClock
) -> None:
    radicado = await _file(seeded)
    agent = await _auth(seeded, AGENT1)
    assert (await _post(seeded, agent, radicado, "assign"))[0] == 200
    assert (await _post(seeded, agent, radicado, "start"))[0] == 200
    clock.advance(days=1)  # Tuesday 24 November, day 1 of the term
    agent = await _auth(seeded, AGENT1)
    status, body = await _post(
        seeded, agent, radicado, "request-completion", reason="Falta la dirección exacta"
    )
    assert status == 200 and body["status"] == "suspendido" and body["clock"]["state"] == "suspended"
    assert body["events"][-1]["data"]["completion_deadline"] == "2026-12-24"
    clock.advance(days=2)  # the citizen answers on Thursday 26 November
    agent = await _auth(seeded, AGENT1)
    status, body = await _post(seeded, agent, radicado, "record-completion", reason="Llegó la dirección")
    # 1 day used (24th), suspended 25th–26th: the 14 days left run from the 27th -> 17 December.
    assert status == 200 and body["status"] == "en_tramite" and body["due_date"] == "2026-12-17"
    status, body = await _post(
        seeded, agent, radicado, "extend", new_due_date="2027-01-05", reasons="Requiere visita técnica"
    )
    assert status == 200 and body["status"] == "prorrogado" and body["clock"]["extended"] is True
    status, body = await _post(seeded, agent, radicado, "answer", answer="Se programó el arreglo.")
    assert status == 200 and body["public_answer"] == "Se programó el arreglo." and body["clock"] is None
    status, body = await _post(seeded, agent, radicado, "close")
    assert status == 200 and body["status"] == "cerrado"
    kinds = [(e["kind"], e["from_status"], e["to_status"], e["actor_kind"]) for e in body["events"]]
    assert [k[2] for k in kinds] == [
        "radicado",
        "asignado",
        "en_tramite",
        "suspendido",
        "en_tramite",
        "prorrogado",
        "respondido",
        "cerrado",
    ]
    assert all(k[3] == "official" for k in kinds[1:]) and kinds[0][3] == "citizen"
    assert body["events"][3]["reason"] == "Falta la dirección exacta"


async def test_impossible_and_late_actions_are_409_and_change_nothing(
    backend: str, seeded: TestClient[Any, Any], clock: FakeClock
) -> None:
    radicado = await _file(seeded)
    sup = await _auth(seeded, SUPERVISOR)
    status, body = await _post(seeded, sup, radicado, "close")
    assert status == 409 and body["error"]["code"] == "invalid_transition"
    status, body = await _post(seeded, sup, radicado, "answer", answer="x")
    assert status == 409 and body["error"]["code"] == "invalid_transition"
    await _post(seeded, sup, radicado, "assign")
    clock.advance(days=16)  # 9 December: 11 business days after receipt
    sup = await _auth(seeded, SUPERVISOR)
    status, body = await _post(seeded, sup, radicado, "request-completion", reason="Falta algo")
    assert status == 409 and body["error"]["code"] == "completion_request_too_late"
    await _post(seeded, sup, radicado, "start")
    status, body = await _post(seeded, sup, radicado, "extend", new_due_date="2027-02-26", reasons="Mucho")
    assert status == 409 and body["error"]["code"] == "extension_too_long"
    status, body = await _post(seeded, sup, radicado, "extend", new_due_date="2027-01-05", reasons=" ")
    assert status == 400 and body["error"]["code"] == "extension_reasons_required"
    clock.advance(days=6)  # 15 December is the due date: too late to extend
    sup = await _auth(seeded, SUPERVISOR)
    status, body = await _post(seeded, sup, radicado, "extend", new_due_date="2027-01-05", reasons="Tarde")
    assert status == 409 and body["error"]["code"] == "extension_too_late"
    detail = await (await seeded.get(f"/api/v1/tickets/{radicado}", headers=sup)).json()
    assert detail["status"] == "en_tramite" and len(detail["events"]) == 3
    assert detail["clock"]["state"] == "due_today" and detail["clock"]["days_left"] == 0


async def test_forward_desist_and_dependencia_change(backend: str, seeded: TestClient[Any, Any]) -> None:
    sup = await _auth(seeded, SUPERVISOR)
    first, second, third = await _file(seeded, verbal=True), await _file(seeded), await _file(seeded)
    status, body = await _post(
        seeded, sup, first, "forward", authority="Gobernación de Nariño", reason="Vía dep."
    )
    data = body["events"][-1]["data"]
    assert status == 200 and body["status"] == "trasladado"
    # Filed verbally: forwarding is due at once, the day of receipt.
    assert data == {
        "authority": "Gobernación de Nariño",
        "forwarding_deadline": "2026-11-23",
        "on_time": True,
    }
    status, body = await _post(seeded, sup, second, "desist", reason="El ciudadano retiró la petición")
    assert status == 200 and body["status"] == "desistido"
    await _post(seeded, sup, third, "assign")
    await _post(seeded, sup, third, "start")
    await _post(seeded, sup, third, "request-completion", reason="Falta cédula")
    status, body = await _post(seeded, sup, third, "desist", reason="No completó", kind="tacito")
    assert status == 409 and body["error"]["code"] == "completion_period_running"
    status, body = await _post(seeded, sup, third, "dependencia", dependencia="salud", reason="Es de salud")
    assert status == 200 and body["status"] == "suspendido"
    assert body["events"][-1]["kind"] == "dependencia_changed" and body["events"][-1]["data"]["to"] == "salud"
    status, body = await _post(seeded, sup, third, "dependencia", dependencia="nope", reason="x")
    assert status == 400 and body["error"]["code"] == "unknown_dependencia"


async def test_agents_see_their_dependencia_and_their_own_tickets_admin_sees_all(
    backend: str, seeded: TestClient[Any, Any]
) -> None:
    triage, salud = await _file(seeded), await _file(seeded, "salud")
    transito = await _file(seeded, "transito", anonymous=True, citizen_id=None)
    agent1, agent2 = await _auth(seeded, AGENT1), await _auth(seeded, AGENT2)
    admin = await _auth(seeded, ADMIN)

    async def listed(who: dict[str, str], query: str = "") -> set[str]:
        body = await (await seeded.get(f"/api/v1/tickets{query}", headers=who)).json()
        return {t["radicado"] for t in body["tickets"]}

    assert await listed(agent1) == {triage}
    assert await listed(agent2) == {salud}
    assert await listed(admin) == {triage, salud, transito}
    assert await listed(admin, "?dependencia=salud") == {salud}
    assert await listed(admin, "?status=asignado") == set()
    assert await listed(admin, "?due_before=2026-12-15") == set()
    assert await listed(admin, "?due_before=2026-12-16") == {triage, salud, transito}
    resp = await seeded.get(f"/api/v1/tickets/{salud}", headers=agent1)
    assert resp.status == 404 and (await resp.json())["error"]["code"] == "not_found"
    status, body = await _post(seeded, agent1, salud, "assign")
    assert status == 404
    # A supervisor assigns a Tránsito ticket to agente1, who then sees it.
    agent1_id = (await (await seeded.get("/api/v1/auth/me", headers=agent1)).json())["id"]
    status, body = await _post(seeded, admin, transito, "assign", official_id=agent1_id)
    assert status == 200 and await listed(agent1) == {triage, transito}
    status, body = await _post(seeded, agent1, triage, "assign", official_id=999)
    assert status == 403 and body["error"]["code"] == "assign_self_only"
    resp = await seeded.get("/api/v1/tickets?status=bogus", headers=admin)
    assert resp.status == 400 and (await resp.json())["error"]["code"] == "validation_error"


async def test_actions_push_ticket_updated_to_the_dependencia_agents(seeded: TestClient[Any, Any]) -> None:
    radicado = await _file(seeded)
    agent_token = await login(seeded, AGENT1)
    client, refused = await connect(str(seeded.make_url("/")), "/agents", {"token": agent_token})
    assert refused is None
    received: list[Any] = []
    client.on("ticket.updated", received.append, namespace="/agents")
    try:
        status, _ = await _post(seeded, {"Authorization": f"Bearer {agent_token}"}, radicado, "assign")
        assert status == 200
        for _ in range(50):
            if received:
                break
            await asyncio.sleep(0.05)
    finally:
        await client.disconnect()
    assert received and received[0]["radicado"] == radicado and received[0]["status"] == "asignado"


@pytest.mark.parametrize("path", ["/api/v1/tickets", "/api/v1/tickets/2026000001"])
async def test_the_ticket_api_needs_an_official(seeded: TestClient[Any, Any], path: str) -> None:
    resp = await seeded.get(path)
    assert resp.status == 401 and (await resp.json())["error"]["code"] == "missing_token"
