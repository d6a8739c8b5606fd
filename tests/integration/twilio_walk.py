"""Walks of the 195 line as Twilio drives it (signed webhooks, following every action URL) that
several Twilio tests share: a call queued from the menu, and an official accepting its offer."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from contact_center.core.db.models import Conversation
from contact_center.core.http.keys import UOW
from contact_center.core.officials import Presence
from tests.integration.router_support import Parts, official_id, presence
from tests.integration.twilio_support import CALL_SID, call_params, twiml

AGENT = "agente1@demo.pasto.gov.co"


async def queued_call(line: TestClient[Any, Any], sid: str = CALL_SID) -> ET.Element:
    """A new call that pressed 0 at the menu: the <Enqueue> document."""
    root = await twiml(line, "/channels/twilio/voice", call_params(sid))
    gather = root.find("Gather")
    assert gather is not None
    root = await twiml(line, gather.get("action", ""), call_params(sid, Digits="0"))
    assert root.find("Enqueue") is not None, ET.tostring(root)
    return root


async def accept_next_offer(router: Parts, email: str = AGENT) -> int:
    """The official becomes available and accepts the router's offer; their id."""
    async with router.uow() as uow:
        agent = await official_id(uow, email)
    await presence(router, agent, Presence.AVAILABLE)
    await router.engine.process()
    offers = [o for o in router.tap.named("offer") if o.get("conversation_id") is not None]
    assert offers
    async with router.uow() as uow:
        await router.router.accept(uow, offers[-1]["offer_id"], agent)
        await uow.commit()
    return agent


async def dialled(line: TestClient[Any, Any], sid: str = CALL_SID) -> ET.Element:
    """After the acceptance: the wait URL's <Leave/>, then the Enqueue action's <Dial>."""
    root = await twiml(line, "/channels/twilio/queue-wait", call_params(sid, QueueTime="20"))
    assert root.find("Leave") is not None, ET.tostring(root)
    root = await twiml(line, "/channels/twilio/queue-result", call_params(sid, QueueResult="leave"))
    assert root.find("Dial/Client") is not None, ET.tostring(root)
    return root


async def conversation(line: TestClient[Any, Any], sid: str = CALL_SID) -> Conversation:
    async with line.app[UOW]() as uow:
        found = await uow.session.scalar(select(Conversation).where(Conversation.external_id == sid))
        assert found is not None
        uow.session.expunge(found)  # read as it is now, usable after the unit of work
        return found
