"""The officials' side of a Twilio call over /agents (`call_hold`, `call_transfer`, `call_hangup`):
each change reaches Twilio's REST API (a local stand-in records `Calls/{sid}.json`), goes through
the router and is recorded as a call event; only the official attending the call may act."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from contact_center.core.db.models import CallEvent, Conversation
from contact_center.core.db.routing_models import WorkItem
from contact_center.core.http.keys import UOW
from tests.conftest import login
from tests.integration import twilio_support
from tests.integration.twilio_support import CALL_SID, TwilioRest, call_params, twiml
from tests.support.chat_clients import Peer

AGENT, OTHER = "agente1@demo.pasto.gov.co", "agente2@demo.pasto.gov.co"


rest = twilio_support.rest
line = twilio_support.rest_line()


async def official(client: TestClient[Any, Any], email: str) -> tuple[Peer, int]:
    peer = await Peer("/agents").connect(str(client.make_url("/")), {"token": await login(client, email)})
    ready = await peer.next("console.ready")
    return peer, int(ready["official"]["id"])


async def queued_call(line: TestClient[Any, Any]) -> None:
    root = await twiml(line, "/channels/twilio/voice", call_params())
    root = await twiml(line, root.find("Gather").get("action", ""), call_params(Digits="0"))  # type: ignore[union-attr]
    assert root.find("Enqueue") is not None


async def take_call(line: TestClient[Any, Any], peer: Peer, agent: int) -> None:
    """The router offers the waiting call, the official accepts, the caller is dialled to them."""
    offer = await peer.next("offer", wait=10, where=lambda o: o["channel"] == "voice")
    accepted = await peer.call("accept", {"offer_id": offer["offer_id"]})
    assert accepted.get("ok"), accepted
    root = await twiml(line, "/channels/twilio/queue-wait", call_params(QueueTime="5"))
    assert root.find("Leave") is not None
    root = await twiml(line, "/channels/twilio/queue-result", call_params(QueueResult="leave"))
    dialled = root.find("Dial/Client")
    assert dialled is not None and dialled.text == f"official_{agent}"


def controls(rest: TwilioRest) -> list[dict[str, str]]:
    """The call updates of the officials' controls (not the redirect that dequeues an accepted call)."""
    return [u for u in rest.updates if not u.get("Url", "").endswith("/channels/twilio/queue-connect")]


@dataclass(frozen=True)
class Seen:
    id: int
    state: str
    official_id: int | None
    item_status: str
    item_official: int | None
    kinds: frozenset[str]


async def state(line: TestClient[Any, Any]) -> Seen:
    async with line.app[UOW]() as uow:
        call = await uow.session.scalar(select(Conversation).where(Conversation.external_id == CALL_SID))
        assert call is not None
        item = await uow.session.scalar(
            select(WorkItem).where(WorkItem.conversation_id == call.id).order_by(WorkItem.id.desc())
        )
        assert item is not None
        kinds = await uow.session.scalars(select(CallEvent.kind).where(CallEvent.conversation_id == call.id))
        return Seen(call.id, call.state, call.official_id, item.status, item.official_id, frozenset(kinds))


async def test_hold_transfer_to_a_queue_and_hang_up_reach_twilio_and_the_router(
    line: TestClient[Any, Any], rest: TwilioRest
) -> None:
    peer, agent = await official(line, AGENT)
    assert (await peer.call("presence", {"presence": "available"}))["ok"]
    await queued_call(line)
    await take_call(line, peer, agent)
    ids = {"conversation_id": (await state(line)).id}

    # Only the official attending the call may touch it; refused, nothing reaches Twilio.
    other, _ = await official(line, OTHER)
    refused = await other.call("call_hold", {**ids, "on": True})
    assert refused["error"]["code"] == "not_found" and controls(rest) == []
    both = await peer.call("call_transfer", {**ids, "to_official_id": 1, "to_queue_code": "atencion_general"})
    assert both["error"]["code"] == "transfer_target_required" and controls(rest) == []

    # Hold: music in a loop; off hold: the same official is dialled again.
    assert (await peer.call("call_hold", {**ids, "on": True}))["ok"]
    assert rest.updates[-1]["CallSid"] == CALL_SID and '<Play loop="0">' in rest.updates[-1]["Twiml"]
    assert (await peer.call("call_hold", {**ids, "on": False}))["ok"]
    assert f"<Client>official_{agent}</Client>" in rest.updates[-1]["Twiml"]

    # Transfer to a queue: the caller waits there again, and the router offers the call anew.
    moved = await peer.call("call_transfer", {**ids, "to_queue_code": "atencion_general"})
    assert moved["ok"], moved
    assert (
        "<Enqueue" in rest.updates[-1]["Twiml"] and ">atencion_general</Enqueue>" in rest.updates[-1]["Twiml"]
    )
    seen = await state(line)
    # Waiting again (or, at once, offered anew: the router runs on its own).
    assert seen.state == "queued" and seen.item_status in {"waiting", "offered"}
    await take_call(line, peer, agent)  # past its queue node, the flow still connects the official

    # Hang-up: Twilio ends the call; the work is completed and the official's wrap-up starts.
    assert (await peer.call("call_hangup", ids))["ok"]
    assert rest.updates[-1]["Status"] == "completed"
    seen = await state(line)
    assert seen.state == "wrap_up" and seen.item_status == "completed"
    assert {"hold_on", "hold_off", "transferred", "hung_up_by_official"} <= seen.kinds
    # Twilio's status callback afterwards changes nothing more.
    await twiml_status(line)
    seen = await state(line)
    assert seen.state == "wrap_up" and seen.item_status == "completed"


async def test_a_transfer_to_an_official_is_offered_to_them_and_dials_them_on_acceptance(
    line: TestClient[Any, Any], rest: TwilioRest
) -> None:
    peer, agent = await official(line, AGENT)
    target, target_id = await official(line, OTHER)
    assert (await peer.call("presence", {"presence": "available"}))["ok"]
    await queued_call(line)
    await take_call(line, peer, agent)
    call_id = (await state(line)).id
    away = await peer.call("call_transfer", {"conversation_id": call_id, "to_official_id": target_id})
    assert away["error"]["code"] == "official_unavailable"  # agente2 is offline: nothing changed
    seen = await state(line)
    assert seen.item_status == "assigned" and seen.item_official == agent and controls(rest) == []

    assert (await target.call("presence", {"presence": "available"}))["ok"]
    assert (await peer.call("call_transfer", {"conversation_id": call_id, "to_official_id": target_id}))["ok"]
    assert ">atencion_general</Enqueue>" in rest.updates[-1]["Twiml"]  # waits with music until accepted
    await take_call(line, target, target_id)
    seen = await state(line)
    assert (seen.state, seen.official_id, seen.item_official) == ("active", target_id, target_id)


async def twiml_status(line: TestClient[Any, Any]) -> None:
    from tests.integration.twilio_support import post

    resp = await post(line, "/channels/twilio/status", call_params(CallStatus="completed"))
    assert resp.status == 204
