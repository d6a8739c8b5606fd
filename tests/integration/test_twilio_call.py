"""A whole call on Twilio, through the router: menu, radicado status, queue, an official accepts the
router's offer, the caller leaves the Twilio queue and is dialled to that official, hang-up."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from contact_center.core.db.models import Conversation
from contact_center.core.db.routing_models import WorkItem
from contact_center.core.http.keys import UOW
from contact_center.core.officials import Presence
from tests.integration import twilio_support
from tests.integration.router_support import official_id, parts, presence
from tests.integration.twilio_support import BASE, CALL_SID, call_params, post, said, twiml

line = twilio_support.seeded_line(reload_router=True)


async def test_a_whole_call_reaches_the_official_who_accepted_the_offer(line: TestClient[Any, Any]) -> None:
    router = parts(line)
    pqrd = {"type": "peticion", "subject": "Alumbrado", "description": "Poste apagado.", "anonymous": True}
    resp = await line.post("/api/v1/pqrd", json=pqrd)
    radicado = (await resp.json())["radicado"]
    # Menu -> 2 -> radicado: status read back, back at the menu.
    root = await twiml(line, "/channels/twilio/voice", call_params())
    root = await twiml(line, root.find("Gather").get("action", ""), call_params(Digits="2"))  # type: ignore[union-attr]
    root = await twiml(line, root.find("Gather").get("action", ""), call_params(Digits=radicado + "#"))  # type: ignore[union-attr]
    assert " ".join(radicado) in said(root) and "se encuentra radicado" in said(root)
    # 0 -> the general queue: <Enqueue> with its wait and action URLs.
    root = await twiml(line, root.find("Gather").get("action", ""), call_params(Digits="0"))  # type: ignore[union-attr]
    enqueue = root.find("Enqueue")
    assert enqueue is not None and enqueue.text == "atencion_general"
    assert enqueue.get("waitUrl") == f"{BASE}/channels/twilio/queue-wait"
    assert enqueue.get("action") == f"{BASE}/channels/twilio/queue-result"
    async with line.app[UOW]() as uow:
        call = await uow.session.scalar(select(Conversation).where(Conversation.external_id == CALL_SID))
        assert call is not None and call.state == "queued"
        item = await uow.session.scalar(select(WorkItem).where(WorkItem.conversation_id == call.id))
        assert item is not None and (item.channel, item.status) == ("voice", "waiting")
        agent = await official_id(uow, "agente1@demo.pasto.gov.co")
    # While nobody is free, the wait URL announces the position, then hold music.
    root = await twiml(line, enqueue.get("waitUrl", ""), call_params(QueueTime="10", QueuePosition="1"))
    assert "Su turno en la fila es el 1" in said(root) and root.find("Play") is not None
    # An official becomes available; the router offers the call and they accept it.
    await presence(router, agent, Presence.AVAILABLE)
    await router.engine.process()
    offers = router.tap.named("offer")
    assert offers and offers[-1]["conversation_id"] is not None
    async with line.app[UOW]() as uow:
        await router.router.accept(uow, offers[-1]["offer_id"], agent)
        await uow.commit()
    # The next wait request takes the caller out of the queue; the Enqueue action dials the official.
    root = await twiml(line, enqueue.get("waitUrl", ""), call_params(QueueTime="25"))
    assert root.find("Leave") is not None
    root = await twiml(line, enqueue.get("action", ""), call_params(QueueResult="leave", QueueTime="25"))
    client = root.find("Dial/Client")
    assert client is not None and client.text == f"official_{agent}"
    assert "Le comunicamos con un funcionario" in said(root)
    # The call ends.
    resp = await post(line, "/channels/twilio/status", call_params(CallStatus="completed"))
    assert resp.status == 204
    async with line.app[UOW]() as uow:
        call = await uow.session.scalar(select(Conversation).where(Conversation.external_id == CALL_SID))
        assert call is not None and call.official_id == agent and call.answered_at is not None
        assert call.ended_at is not None and call.state == "closed"


async def test_hanging_up_while_queued_is_an_abandonment(line: TestClient[Any, Any]) -> None:
    root = await twiml(line, "/channels/twilio/voice", call_params())
    root = await twiml(line, root.find("Gather").get("action", ""), call_params(Digits="0"))  # type: ignore[union-attr]
    assert root.find("Enqueue") is not None
    resp = await post(line, "/channels/twilio/status", call_params(CallStatus="completed"))
    assert resp.status == 204
    async with line.app[UOW]() as uow:
        call = await uow.session.scalar(select(Conversation).where(Conversation.external_id == CALL_SID))
        assert call is not None and call.state == "abandoned"
        item = await uow.session.scalar(select(WorkItem).where(WorkItem.conversation_id == call.id))
        assert item is not None and item.status == "abandoned"
