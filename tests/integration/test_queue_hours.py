"""Queues' business hours through the public interfaces: the admin API, the chat's socket events,
the IVR on Twilio's webhooks, the router service and `GET /api/v1/stats/queues`.

The fake clock starts on Monday 23 November 2026, 10:00 in Bogotá (15:00 UTC).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from contact_center.core.clock import FakeClock
from contact_center.core.db.models import Conversation, Queue
from contact_center.core.db.routing_models import WorkItem
from contact_center.core.errors import Conflict
from contact_center.core.http.keys import UOW
from contact_center.core.officials import Presence
from routing.service import NewWorkItem
from tests.conftest import login
from tests.integration import twilio_support
from tests.integration.router_support import new_conversation, official_id, parts, presence
from tests.integration.twilio_support import call_params, said, twiml
from tests.support import chat_clients
from tests.support.chat_clients import Peer, citizen
from tests.support.server import ServerProcess

console = chat_clients.console
ADMIN = "admin@demo.pasto.gov.co"
SUPERVISOR = "supervisor@demo.pasto.gov.co"
AGENT1 = "agente1@demo.pasto.gov.co"  # trámites, PQRD, tránsito, hacienda
AFTERNOON = {day: [["14:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
MORNING = {day: [["07:00", "12:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def set_hours(
    client: TestClient[Any, Any], code: str, hours: dict[str, Any], *, open_on_holidays: bool = False
) -> Any:
    """Change only a queue's hours through the admin API, and let the router reload its setup."""
    admin = _bearer(await login(client, ADMIN))
    listed = await (await client.get("/api/v1/routing/queues", headers=admin)).json()
    queue = next(q for q in listed["queues"] if q["code"] == code)
    body = {k: v for k, v in queue.items() if k not in ("id", "code")}
    body.update(business_hours=hours, open_on_holidays=open_on_holidays)
    resp = await client.put(f"/api/v1/routing/queues/{code}", json=body, headers=admin)
    await parts(client).reload()
    return resp


async def _items(client: TestClient[Any, Any], conversation_id: int) -> list[str]:
    async with client.app[UOW]() as uow:
        rows = await uow.session.scalars(
            select(WorkItem.status).where(WorkItem.conversation_id == conversation_id)
        )
        return list(rows)


async def test_bad_hours_are_400_and_change_nothing_24_00_ends_a_day(
    backend: str, console: TestClient[Any, Any]
) -> None:
    crossing = {"fri": [["22:00", "02:00"]]}
    resp = await set_hours(console, "hacienda", crossing)
    assert resp.status == 400
    error = (await resp.json())["error"]
    assert error["code"] == "invalid_routing_config" and "medianoche" in error["message"]
    async with console.app[UOW]() as uow:
        stored = await uow.session.scalar(select(Queue.business_hours).where(Queue.code == "hacienda"))
        assert stored == {}
    night = {"fri": [["22:00", "24:00"]], "sat": [["00:00", "02:00"]]}
    resp = await set_hours(console, "hacienda", night, open_on_holidays=True)
    assert resp.status == 200, await resp.text()
    saved = await resp.json()
    assert saved["business_hours"] == night and saved["open_on_holidays"] is True


async def test_chat_into_a_closed_queue_says_when_it_opens_and_takes_a_pqrd(
    backend: str, console: TestClient[Any, Any]
) -> None:
    assert (await set_hours(console, "hacienda", AFTERNOON)).status == 200
    peer, ack = await citizen(str(console.make_url("/")), topic="hacienda")
    assert ack["state"] == "out_of_hours" and ack["can_leave_pqrd"] is True
    assert ack["next_open"] == "2026-11-23T14:00:00-05:00"
    assert "cerrada" in ack["message"] and "hoy a las 2:00 p. m." in ack["message"]
    assert "position" not in ack
    assert await _items(console, ack["conversation_id"]) == []  # nothing waits for nobody
    sent = await peer.call("send", {"client_id": "x", "body": "¿hay alguien?"})
    assert sent["error"]["code"] == "conversation_closed"
    filed = await peer.call(
        "leave_pqrd", {"subject": "Predial", "description": "No me llegó la factura del predial."}
    )
    assert filed.get("ok"), filed
    async with console.app[UOW]() as uow:
        conversation = await uow.session.get(Conversation, ack["conversation_id"])
        assert conversation is not None and conversation.state == "closed"
        assert conversation.ticket_id is not None
    resumed = await peer.call("resume", {"token": ack["token"]})
    assert "hoy a las 2:00 p. m." in resumed["messages"][0]["body"]
    await peer.close()


async def test_ending_an_out_of_hours_chat_closes_it(backend: str, console: TestClient[Any, Any]) -> None:
    assert (await set_hours(console, "hacienda", AFTERNOON)).status == 200
    peer, ack = await citizen(str(console.make_url("/")), topic="hacienda")
    assert (await peer.call("end", {}))["state"] == "closed"
    assert await _items(console, ack["conversation_id"]) == []
    await peer.close()


async def test_waiting_chats_are_served_after_closing_while_new_ones_are_refused(
    backend: str, console: TestClient[Any, Any], clock: FakeClock
) -> None:
    p = parts(console)
    assert (await set_hours(console, "hacienda", MORNING)).status == 200
    early, waiting = await citizen(str(console.make_url("/")), topic="hacienda")
    assert waiting["state"] == "queued"
    clock.set(datetime(2026, 11, 23, 17, 30, tzinfo=UTC))  # 12:30 in Bogotá: closed
    late, refused = await citizen(str(console.make_url("/")), topic="hacienda")
    assert refused["state"] == "out_of_hours" and "mañana a las 7:00 a. m." in refused["message"]
    async with p.uow() as uow:
        agent = await official_id(uow, AGENT1)
    await presence(p, agent, Presence.AVAILABLE)
    await p.engine.process()
    offered = [o["conversation_id"] for o in p.tap.named("offer")]
    assert offered == [waiting["conversation_id"]]  # the one let in while open is still served
    assert await _items(console, refused["conversation_id"]) == []
    await early.close()
    await late.close()


async def test_the_router_refuses_new_app_work_of_a_closed_queue(
    backend: str, console: TestClient[Any, Any], clock: FakeClock
) -> None:
    p = parts(console)
    assert (await set_hours(console, "hacienda", AFTERNOON)).status == 200
    async with p.uow() as uow:
        conversation = await new_conversation(uow, "app")
        await uow.commit()
    item = NewWorkItem("conversation", "hacienda", "app", conversation_id=conversation)
    async with p.uow() as uow:
        with pytest.raises(Conflict) as refused:
            await p.router.enqueue(uow, item)
        assert refused.value.code == "queue_closed"
        assert refused.value.details["next_open"] == "2026-11-23T14:00:00-05:00"
        count = await uow.session.scalar(select(func.count()).select_from(WorkItem))
        assert count == 0
    clock.set(datetime(2026, 11, 23, 19, 0, tzinfo=UTC))  # 14:00 in Bogotá: open
    async with p.uow() as uow:
        assert await p.router.enqueue(uow, item) > 0
        await uow.commit()


async def test_stats_show_open_and_next_open_per_queue_with_holidays(
    backend: str, console: TestClient[Any, Any], clock: FakeClock
) -> None:
    assert (await set_hours(console, "hacienda", AFTERNOON)).status == 200
    assert (await set_hours(console, "salud", MORNING, open_on_holidays=True)).status == 200

    async def by_code() -> dict[str, Any]:
        sup = _bearer(await login(console, SUPERVISOR))  # at the clock's time: tokens expire
        resp = await console.get("/api/v1/stats/queues", headers=sup)
        assert resp.status == 200
        return {q["code"]: q for q in (await resp.json())["queues"]}

    now = await by_code()
    assert (now["hacienda"]["open"], now["hacienda"]["next_open"]) == (False, "2026-11-23T14:00:00-05:00")
    assert (now["salud"]["open"], now["salud"]["next_open"]) == (True, None)
    assert (now["atencion_general"]["open"], now["atencion_general"]["next_open"]) == (True, None)
    dashboard = await Peer("/supervisors").connect(
        str(console.make_url("/")), {"token": await login(console, SUPERVISOR)}
    )
    snapshot = await dashboard.next("dashboard")
    shown = {q["code"]: (q["open"], q["next_open"]) for q in snapshot["queues"]}
    assert shown["hacienda"] == (False, "2026-11-23T14:00:00-05:00") and shown["salud"] == (True, None)
    await dashboard.close()
    clock.set(datetime(2026, 12, 8, 15, 0, tzinfo=UTC))  # Tuesday 8 December, a holiday, 10:00 here
    holiday = await by_code()
    assert (holiday["hacienda"]["open"], holiday["hacienda"]["next_open"]) == (
        False,
        "2026-12-09T14:00:00-05:00",
    )
    assert holiday["salud"]["open"] is True  # configured to open on holidays
    assert holiday["atencion_general"]["open"] is True  # no schedule: always open


line = twilio_support.seeded_line(reload_router=True)


async def test_ivr_checks_the_queue_hours_before_queueing_and_offers_a_verbal_pqrd(
    line: TestClient[Any, Any],
) -> None:
    assert (await set_hours(line, "atencion_general", AFTERNOON)).status == 200
    root = await twiml(line, "/channels/twilio/voice", call_params())  # the line itself is open
    assert "Para hablar con un funcionario, marque 0" in said(root)
    action = root.find("Gather")
    assert action is not None
    root = await twiml(line, action.get("action", ""), call_params(Digits="0"))
    assert root.find("Enqueue") is None
    heard = said(root)
    assert "no hay funcionarios atendiendo" in heard and "abre hoy a las 2:00 p. m." in heard
    assert "radicar una petición" in heard
    async with line.app[UOW]() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(WorkItem)) == 0
    action = root.find("Gather")
    assert action is not None
    root = await twiml(line, action.get("action", ""), call_params(Digits="1"))
    assert "Para una petición, marque 1" in said(root)  # the verbal PQRD menu


def test_cli_sets_night_hours_open_on_holidays_and_refuses_a_slot_over_midnight(tmp_path: Path) -> None:
    server = ServerProcess({"DATA_DIR": str(tmp_path / "var")})
    assert server.run_cli("seed-demo", "--allow-demo-accounts").returncode == 0
    made = server.run_cli(
        "queues", "set", "emergencias", "--name", "Emergencias",
        "--hours", "fri=22:00-24:00", "--hours", "sat=00:00-06:00", "--open-on-holidays",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    saved = json.loads(made.stdout)
    assert saved["open_on_holidays"] is True
    assert saved["business_hours"] == {"fri": [["22:00", "24:00"]], "sat": [["00:00", "06:00"]]}
    bad = server.run_cli("queues", "set", "emergencias", "--name", "E", "--hours", "fri=22:00-02:00")
    assert bad.returncode == 2 and "medianoche" in bad.stderr
    listed = json.loads(server.run_cli("queues", "list").stdout)
    kept = next(q for q in listed if q["code"] == "emergencias")
    assert kept["business_hours"] == saved["business_hours"] and kept["open_on_holidays"] is True


async def test_a_closure_day_recorded_by_the_administrator_closes_the_queue(
    backend: str, console: TestClient[Any, Any], clock: FakeClock
) -> None:
    assert (await set_hours(console, "hacienda", MORNING)).status == 200
    clock.set(datetime(2026, 11, 23, 18, 0, tzinfo=UTC))  # Monday 13:00 here: closed until tomorrow

    async def hacienda_next_open() -> str:
        sup = _bearer(await login(console, SUPERVISOR))
        queues = (await (await console.get("/api/v1/stats/queues", headers=sup)).json())["queues"]
        return str(next(q["next_open"] for q in queues if q["code"] == "hacienda"))

    assert await hacienda_next_open() == "2026-11-24T07:00:00-05:00"
    admin = _bearer(await login(console, ADMIN))
    closure = {"day": "2026-11-24", "reason": "Carnaval (Decreto 0001)"}
    assert (await console.post("/api/v1/admin/closures", json=closure, headers=admin)).status == 201
    assert await hacienda_next_open() == "2026-11-25T07:00:00-05:00"
    clock.set(datetime(2026, 11, 24, 15, 0, tzinfo=UTC))  # Tuesday 10:00, the closure day
    peer, ack = await citizen(str(console.make_url("/")), topic="hacienda")
    assert ack["state"] == "out_of_hours" and "mañana a las 7:00 a. m." in ack["message"]
    admin = _bearer(await login(console, ADMIN))
    assert (await console.delete("/api/v1/admin/closures/2026-11-24", headers=admin)).status == 200
    peer2, reopened = await citizen(str(console.make_url("/")), topic="hacienda")
    assert reopened["state"] == "queued"
    await peer.close()
    await peer2.close()
