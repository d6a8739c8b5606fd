"""A queued callback on Twilio, end to end: the caller asks to be called back and hangs up; the work
item keeps its place flagged as a callback; the router offers it, an official accepts; the line
creates the outgoing call through Twilio's REST API (a local stand-in) and its `callback-connect`
TwiML dials that official; the outgoing call's end completes the work."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from contact_center.core.db.models import Conversation
from contact_center.core.db.routing_models import WorkItem
from contact_center.core.http.keys import UOW
from ivr.models import VoiceCallback
from tests.integration import twilio_support
from tests.integration.test_twilio_call_control import AGENT, official
from tests.integration.twilio_support import CALL_SID, CALLER, TwilioRest, call_params, post, twiml

rest = twilio_support.rest
line = twilio_support.rest_line()


async def ask_for_callback(line: TestClient[Any, Any]) -> None:
    root = await twiml(line, "/channels/twilio/voice", call_params())
    root = await twiml(line, root.find("Gather").get("action", ""), call_params(Digits="0"))  # type: ignore[union-attr]
    assert root.find("Enqueue") is not None
    # After 90 s of waiting the wait URL offers a callback; 1 accepts it, 1 confirms the number.
    root = await twiml(line, "/channels/twilio/queue-wait", call_params(QueueTime="95", QueuePosition="1"))
    offer = root.find("Gather")
    assert offer is not None and "devolvamos la llamada" in " ".join(offer.itertext())
    root = await twiml(line, offer.get("action", ""), call_params(Digits="1"))
    root = await twiml(line, root.find("Gather").get("action", ""), call_params(Digits="1"))  # type: ignore[union-attr]
    assert root.find("Hangup") is not None
    assert (await post(line, "/channels/twilio/status", call_params(CallStatus="completed"))).status == 204


async def test_a_callback_keeps_its_place_and_connects_the_official_who_accepted_it(
    line: TestClient[Any, Any], rest: TwilioRest
) -> None:
    await ask_for_callback(line)
    async with line.app[UOW]() as uow:
        call = await uow.session.scalar(select(Conversation).where(Conversation.external_id == CALL_SID))
        assert call is not None and call.state == "queued"  # hung up, still in line
        item = await uow.session.scalar(select(WorkItem).where(WorkItem.conversation_id == call.id))
        assert item is not None and (item.status, item.callback_number) == ("waiting", CALLER)
        conversation_id = call.id
    peer, agent = await official(line, AGENT)
    assert (await peer.call("presence", {"presence": "available"}))["ok"]
    offer = await peer.next("offer", wait=10, where=lambda o: o["conversation_id"] == conversation_id)
    assert (await peer.call("accept", {"offer_id": offer["offer_id"]})).get("ok")

    async with asyncio.timeout(10):  # the dialling round runs every 2 s in the app
        while not rest.created:  # noqa: ASYNC110  (the app dials on its own timer)
            await asyncio.sleep(0.1)
    placed = rest.created[0]
    assert placed["To"] == CALLER and placed["From"] == "+576027333195"
    url = urlsplit(placed["Url"])
    assert url.path == "/channels/twilio/callback-connect"
    assert parse_qs(url.query) == {"conversation": [str(conversation_id)], "official": [str(agent)]}

    # The citizen answers: Twilio fetches the signed callback-connect TwiML, which dials the official.
    answered = {
        "CallSid": placed["sid"],
        "AccountSid": TwilioRest.ACCOUNT,
        "From": "+576027333195",
        "To": CALLER,
    }
    root = await twiml(line, placed["Url"], answered)
    dialled = root.find("Dial/Client")
    assert dialled is not None and dialled.text == f"official_{agent}"
    # A forged or stale connect (another CallSid) connects nobody.
    stale = await twiml(line, placed["Url"], {**answered, "CallSid": "CAforged"})
    assert stale.find("Dial") is None and stale.find("Hangup") is not None

    # The official answers and they speak; then the outgoing call ends.
    spoke = {**answered, "DialCallStatus": "completed", "DialCallSid": "CAleg", "DialCallDuration": "80"}
    assert (await post(line, root.find("Dial").get("action", ""), spoke)).status == 200  # type: ignore[union-attr]
    resp = await post(line, "/channels/twilio/callback-status", {**answered, "CallStatus": "completed"})
    assert resp.status == 204
    async with line.app[UOW]() as uow:
        callback = await uow.session.scalar(
            select(VoiceCallback).where(VoiceCallback.conversation_id == conversation_id)
        )
        assert callback is not None and (callback.status, callback.official_id) == ("done", agent)
        item = await uow.session.scalar(select(WorkItem).where(WorkItem.conversation_id == conversation_id))
        assert item is not None and item.status == "completed"
        call = await uow.session.get(Conversation, conversation_id)
        assert call is not None and call.state == "closed" and call.official_id == agent
