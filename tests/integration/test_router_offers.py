"""The router through its service and engine, on SQLite and PostgreSQL: offers, accept, reject."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from contact_center.core.clock import FakeClock
from contact_center.core.db.routing_models import RoutingOffer, WorkItem
from contact_center.core.errors import Conflict
from contact_center.core.events import official_room
from contact_center.core.officials import Presence
from tests.conftest import login
from tests.integration.router_support import Parts, enqueue_chat, official_id, parts, presence
from tests.support.sockets import connect

AGENT1 = "agente1@demo.pasto.gov.co"
AGENT2 = "agente2@demo.pasto.gov.co"


async def _ready(seeded: TestClient[Any, Any], *emails: str) -> tuple[Parts, list[int]]:
    p = parts(seeded)
    await p.reload()
    async with p.uow() as uow:
        ids = [await official_id(uow, e) for e in emails]
    for oid in ids:
        await presence(p, oid, Presence.AVAILABLE)
    await p.engine.process()
    return p, ids


async def _offers(p: Parts, work_item: int) -> list[RoutingOffer]:
    async with p.uow() as uow:
        rows = list(
            await uow.session.scalars(
                select(RoutingOffer).where(RoutingOffer.work_item_id == work_item).order_by(RoutingOffer.id)
            )
        )
        uow.session.expunge_all()
        return rows


async def _item(p: Parts, work_item: int) -> WorkItem:
    async with p.uow() as uow:
        row = await uow.session.get(WorkItem, work_item)
        assert row is not None
        uow.session.expunge(row)
        return row


async def test_enqueued_chat_is_offered_to_the_officials_room_and_accepting_assigns_it(
    backend: str, seeded: TestClient[Any, Any]
) -> None:
    p, (agent,) = await _ready(seeded, AGENT1)
    sock, refused = await connect(
        str(seeded.make_url("/")), "/agents", {"token": await login(seeded, AGENT1)}
    )
    assert refused is None
    got: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    sock.on("offer", got.put_nowait, namespace="/agents")
    try:
        conversation, work_item = await enqueue_chat(p)
        await p.engine.process()
        offer = await asyncio.wait_for(got.get(), 5)
    finally:
        await sock.disconnect()
    assert offer["work_item_id"] == work_item and offer["conversation_id"] == conversation
    assert offer["channel"] == "chat" and offer["queue"] == "atencion_general" and offer["expires_at"]
    async with p.uow() as uow:
        assignment = await p.router.accept(uow, offer["offer_id"], agent)
        await uow.commit()
    assert (assignment.work_item_id, assignment.official_id) == (work_item, agent)
    assert (await _item(p, work_item)).status == "assigned"
    assert [o.status for o in await _offers(p, work_item)] == ["accepted"]
    assert p.tap.named("assignment", official_room(agent)) == [
        {"work_item_id": work_item, "conversation_id": conversation, "ticket_id": None}
    ]


async def test_a_rejected_offer_goes_to_the_next_official_and_keeps_its_place(
    backend: str, seeded: TestClient[Any, Any]
) -> None:
    p, (first, second) = await _ready(seeded, AGENT1, AGENT2)
    _, older = await enqueue_chat(p, channel="voice")  # voice capacity is 1 per official
    await p.engine.process()
    offered = {o.official_id: o for o in [*(await _offers(p, older))]}
    assert len(offered) == 1
    taker = next(iter(offered))
    other = second if taker == first else first
    async with p.uow() as uow:
        await p.router.reject(uow, offered[taker].id, taker)
        await uow.commit()
    _, newer = await enqueue_chat(p, channel="voice")  # arrives after, must not overtake the rejected one
    await p.engine.process()
    offers = await _offers(p, older)
    assert [(o.official_id, o.status) for o in offers] == [(taker, "rejected"), (other, "offered")]
    assert (await _item(p, newer)).status == "waiting"
    async with p.uow() as uow:
        assert await p.router.position(uow, (await _item(p, newer)).conversation_id or 0) is not None


async def test_offer_times_out_requeues_and_sets_the_official_away(
    backend: str, seeded: TestClient[Any, Any], clock: FakeClock
) -> None:
    p, (agent,) = await _ready(seeded, AGENT1)
    _, work_item = await enqueue_chat(p)
    await p.engine.process()
    (offer,) = await _offers(p, work_item)
    clock.advance(seconds=21)
    await p.engine.sweep()
    (offer,) = await _offers(p, work_item)
    assert offer.status == "timed_out"
    item = await _item(p, work_item)
    assert item.status == "waiting" and item.official_id is None
    assert p.tap.named("offer.revoked", official_room(agent)) == [{"offer_id": offer.id, "reason": "timeout"}]
    away = p.tap.named("presence", official_room(agent))[-1]
    assert away == {"official_id": agent, "presence": "away", "reason": "oferta perdida"}
    async with p.uow() as uow:
        try:
            await p.router.accept(uow, offer.id, agent)
        except Conflict as exc:
            assert exc.code == "offer_not_pending"
        else:
            raise AssertionError("a timed-out offer was accepted")


async def test_capacity_is_respected_per_channel(backend: str, seeded: TestClient[Any, Any]) -> None:
    p, (agent,) = await _ready(seeded, AGENT1)  # demo capacity: voice 1, chat 3
    calls = [(await enqueue_chat(p, channel="voice"))[1] for _ in range(2)]
    chats = [(await enqueue_chat(p))[1] for _ in range(4)]
    await p.engine.process()
    statuses = [(await _item(p, i)).status for i in calls + chats]
    assert statuses.count("offered") == 4
    assert [(await _item(p, i)).status for i in calls] == ["offered", "waiting"]
    assert [(await _item(p, i)).status for i in chats] == ["offered"] * 3 + ["waiting"]
    first = (await _offers(p, chats[0]))[0]
    async with p.uow() as uow:
        await p.router.accept(uow, first.id, agent)
        await uow.commit()
    async with p.uow() as uow:
        await p.router.complete(uow, chats[0], agent, "resuelto")
        await uow.commit()
    await p.engine.process()  # freed a chat slot, but wrap-up comes first
    assert (await _item(p, chats[3])).status == "waiting"
    seeded.app  # noqa: B018


async def test_presence_away_withdraws_offers_and_available_routes_again(
    backend: str, seeded: TestClient[Any, Any]
) -> None:
    p, (agent,) = await _ready(seeded, AGENT1)
    _, work_item = await enqueue_chat(p)
    await p.engine.process()
    await presence(p, agent, Presence.AWAY, "almuerzo")
    (offer,) = await _offers(p, work_item)
    assert offer.status == "revoked" and (await _item(p, work_item)).status == "waiting"
    await p.engine.process()
    assert (await _item(p, work_item)).status == "waiting"
    await presence(p, agent, Presence.AVAILABLE)
    await p.engine.process()
    assert (await _item(p, work_item)).status == "offered"
    assert {"official_id": agent, "presence": "away", "reason": "almuerzo"} in p.tap.named("presence")


async def test_a_conversation_put_in_line_hears_its_place_and_an_estimate_once_someone_was_answered(
    backend: str, seeded: TestClient[Any, Any]
) -> None:
    p = parts(seeded)
    await p.reload()
    first, _ = await enqueue_chat(p, channel="voice")
    second, _ = await enqueue_chat(p, channel="voice")
    places = {e["conversation_id"]: (e["position"], e["eta_seconds"]) for e in p.tap.named("queue.position")}
    assert places == {first: (1, None), second: (2, None)}  # nobody answered yet: no estimate
    async with p.uow() as uow:
        agent = await official_id(uow, AGENT1)
    await presence(p, agent, Presence.AVAILABLE)  # one voice slot: takes the first
    await p.engine.process()
    offer = p.tap.named("offer")[0]
    async with p.uow() as uow:
        await p.router.accept(uow, offer["offer_id"], agent)
        await uow.commit()
    third, _ = await enqueue_chat(p, channel="voice")
    heard = [e for e in p.tap.named("queue.position") if e["conversation_id"] == third]
    # Second in line behind `second`; one answer in the last half hour: 2 x 1,800 s.
    assert (heard[-1]["position"], heard[-1]["eta_seconds"]) == (2, 3600)
