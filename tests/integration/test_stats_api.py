"""`GET /api/v1/stats/queues` (supervisor and admin) and the routing admin API."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from contact_center.core.clock import FakeClock
from contact_center.core.officials import Presence
from tests.conftest import login
from tests.integration.router_support import enqueue_chat, official_id, parts, presence

AGENT1 = "agente1@demo.pasto.gov.co"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_queue_stats_count_waiting_offers_officials_and_service_level(
    backend: str, seeded: TestClient[Any, Any], clock: FakeClock
) -> None:
    p = parts(seeded)
    await p.reload()
    async with p.uow() as uow:
        agent = await official_id(uow, AGENT1)
    await presence(p, agent, Presence.AVAILABLE)
    _, answered = await enqueue_chat(p, channel="voice")
    _, waiting = await enqueue_chat(p, channel="voice")
    await p.engine.process()
    clock.advance(seconds=5)
    offer = p.tap.named("offer")[0]
    async with p.uow() as uow:
        await p.router.accept(uow, offer["offer_id"], agent)
        await uow.commit()
    clock.advance(seconds=30)
    sup = _bearer(await login(seeded, "supervisor@demo.pasto.gov.co"))
    resp = await seeded.get("/api/v1/stats/queues", headers=sup)
    assert resp.status == 200
    queue = next(q for q in (await resp.json())["queues"] if q["code"] == "atencion_general")
    assert queue["waiting"] == 1 and queue["longest_wait_seconds"] == 35.0
    assert queue["answered"] == 1 and queue["average_speed_of_answer_seconds"] == 5.0
    assert queue["service_level"] == 100.0
    assert queue["offers"] == {"accepted": 1, "rejected": 0, "timed_out": 0, "revoked": 0}
    assert queue["officials"]["busy"] == 1 and queue["officials"]["offline"] >= 3
    assert queue["officials"]["available"] == 0
    assert answered != waiting


async def test_service_level_counts_abandons_after_the_threshold_and_leaves_short_ones_out(
    backend: str, seeded: TestClient[Any, Any], clock: FakeClock
) -> None:
    p = parts(seeded)
    await p.reload()
    sup = _bearer(await login(seeded, "supervisor@demo.pasto.gov.co"))
    threshold = (await _general(seeded, sup))["service_level_target"]["threshold_seconds"]
    async with p.uow() as uow:
        agent = await official_id(uow, AGENT1)
    await presence(p, agent, Presence.AVAILABLE)
    await enqueue_chat(p, channel="voice")  # offered to the agent (one voice slot)
    short, _ = await enqueue_chat(p, channel="voice")
    late, _ = await enqueue_chat(p, channel="voice")
    await p.engine.process()
    clock.advance(seconds=2)
    await _abandon(p, short)  # gave up before the threshold: left out of the service level
    clock.advance(seconds=2)
    offer = p.tap.named("offer")[0]
    async with p.uow() as uow:
        await p.router.accept(uow, offer["offer_id"], agent)  # answered after 4 s
        await uow.commit()
    clock.advance(seconds=threshold + 10)
    await _abandon(p, late)  # gave up after the threshold: counts against it
    queue = await _general(seeded, sup)
    assert queue["answered"] == 1 and queue["abandoned"] == 2
    assert queue["average_speed_of_answer_seconds"] == 4.0
    assert queue["service_level"] == 50.0  # 1 within / (1 answered + 1 long abandon)


async def _abandon(p: Any, conversation: int) -> None:
    async with p.uow() as uow:
        await p.router.abandon(uow, conversation)
        await uow.commit()


async def _general(client: TestClient[Any, Any], headers: dict[str, str]) -> dict[str, Any]:
    resp = await client.get("/api/v1/stats/queues", headers=headers)
    assert resp.status == 200
    queue: dict[str, Any] = next(q for q in (await resp.json())["queues"] if q["code"] == "atencion_general")
    return queue


async def test_stats_refuse_agents_with_403_and_anonymous_with_401(seeded: TestClient[Any, Any]) -> None:
    agent = _bearer(await login(seeded, AGENT1))
    resp = await seeded.get("/api/v1/stats/queues", headers=agent)
    assert resp.status == 403 and (await resp.json())["error"]["code"] == "role_required"
    seeded.session.cookie_jar.clear()  # login left the session cookie
    assert (await seeded.get("/api/v1/stats/queues")).status == 401


async def test_admin_sets_a_queue_with_steps_and_bad_input_is_400_with_nothing_changed(
    seeded: TestClient[Any, Any],
) -> None:
    admin = _bearer(await login(seeded, "admin@demo.pasto.gov.co"))
    body = {
        "name": "Línea de emergencias viales",
        "priority": 5,
        "dependencia": "transito",
        "required_skills": {"transito": 6},
        "service_level": {"threshold_seconds": 15, "percent": 90},
        "steps": [
            {"kind": "relax", "after_seconds": 30, "to_level": 2},
            {"kind": "overflow", "after_seconds": 60, "target_queue_id": "atencion_general"},
            {"kind": "callback", "after_seconds": 120},
        ],
        "business_hours": {"mon": [["07:00", "12:00"], ["14:00", "18:00"]]},
    }
    resp = await seeded.put("/api/v1/routing/queues/vias", json=body, headers=admin)
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["steps"][1]["target_queue_id"] == "atencion_general"
    bad_cases = [
        (
            {**body, "steps": [{"kind": "relax", "after_seconds": 30, "to_level": 7}]},
            "invalid_routing_config",
        ),
        ({**body, "required_skills": {"magia": 3}}, "unknown_skill"),
        ({**body, "business_hours": {"mon": [["14:00", "12:00"]]}}, "invalid_routing_config"),
        (
            {**body, "steps": [{"kind": "overflow", "after_seconds": 5, "target_queue_id": "nada"}]},
            "unknown_queue",
        ),
        ({**body, "priority": "alta"}, "validation_error"),
    ]
    for bad, code in bad_cases:
        resp = await seeded.put("/api/v1/routing/queues/vias", json=bad, headers=admin)
        assert resp.status == 400, bad
        assert (await resp.json())["error"]["code"] == code
    listed = await (await seeded.get("/api/v1/routing/queues", headers=admin)).json()
    vias = next(q for q in listed["queues"] if q["code"] == "vias")
    assert vias["required_skills"] == {"transito": 6} and len(vias["steps"]) == 3
    agent = _bearer(await login(seeded, AGENT1))
    assert (await seeded.put("/api/v1/routing/queues/vias", json=body, headers=agent)).status == 403


async def test_admin_sets_skills_capacity_and_router_settings(seeded: TestClient[Any, Any]) -> None:
    admin = _bearer(await login(seeded, "admin@demo.pasto.gov.co"))
    p = parts(seeded)
    async with p.uow() as uow:
        agent = await official_id(uow, AGENT1)
    body = {"skills": {"tramites": 9, "salud": 4}, "capacity": {"chat": 5, "voice": 1}}
    resp = await seeded.put(f"/api/v1/routing/officials/{agent}", json=body, headers=admin)
    assert resp.status == 200 and (await resp.json())["capacity"] == {"chat": 5, "voice": 1}
    bad = {"skills": {"tramites": 11}}
    resp = await seeded.put(f"/api/v1/routing/officials/{agent}", json=bad, headers=admin)
    assert (await resp.json())["error"]["code"] == "invalid_skill_level"
    resp = await seeded.put("/api/v1/routing/officials/999999", json=body, headers=admin)
    assert resp.status == 404
    settings = {"offer_timeout_seconds": 15, "missed_offers_before_away": 2, "wrap_up_seconds": 10}
    resp = await seeded.put("/api/v1/routing/settings", json=settings, headers=admin)
    assert resp.status == 200
    got = await (await seeded.get("/api/v1/routing/settings", headers=admin)).json()
    assert got == {"offer_timeout_seconds": 15.0, "missed_offers_before_away": 2, "wrap_up_seconds": 10.0}
    resp = await seeded.put(
        "/api/v1/routing/settings", json={**settings, "offer_timeout_seconds": 1}, headers=admin
    )
    assert resp.status == 400
