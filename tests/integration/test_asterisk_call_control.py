"""Asterisk and the router: app_queue hands out the calls and the router mirrors it (never offers
them); the officials' call controls go out as AMI actions; a callback is originated through AMI.

The app runs its own FastAGI server and AMI client against the simulated Asterisk
(`tests.asterisk_peer`), and the calls come from a simulated channel (`agi_caller`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from channels.asterisk.install import ASTERISK
from contact_center.core.config import Settings
from contact_center.core.db.models import Conversation
from contact_center.core.db.routing_models import WorkItem
from contact_center.core.http.keys import UOW
from ivr.models import VoiceCallback
from tests.asterisk_peer import AmiPeer, PeerState, _message
from tests.conftest import AppFactory
from tests.integration.agi_caller import Caller, call
from tests.integration.test_twilio_call_control import AGENT, official
from tests.support.chat_clients import close_all, seed_before_start

LINKEDID = "1795476145.1"  # the captured AGI environment's channel
LEG = "Local/s@test-00000000;2"


def live_channels() -> list[dict[str, str]]:
    """The simulated Asterisk's channels: the caller's leg, up in the IVR's AGI."""
    return [{"Channel": LEG, "Uniqueid": LINKEDID, "Linkedid": LINKEDID, "ChannelStateDesc": "Up",
             "CallerIDNum": "3001234567", "CallerIDName": "", "Context": "ivr", "Exten": "s",
             "Application": "AGI", "BridgeId": "", "Duration": "00:00:05"}]  # fmt: skip


async def ami_line(
    peer: AmiPeer, make_client: AppFactory, make_settings: Callable[..., Settings], **overrides: Any
) -> TestClient[Any, Any]:
    """The app on the simulated Asterisk (its own FastAGI server and AMI client, connected), with
    `overrides` to its settings and the demo city seeded before start."""
    settings = make_settings(ami_host="127.0.0.1", ami_port=peer.port, ami_username=peer.username,
                             ami_secret=peer.secret, agi_host="127.0.0.1", agi_port=0,
                             **overrides)  # fmt: skip
    await seed_before_start(settings)
    client = await make_client(settings)
    ami = client.app[ASTERISK].ami
    assert ami is not None
    await ami.wait_connected(3.0)
    return client


@pytest.fixture
async def peer() -> AsyncIterator[AmiPeer]:
    async with AmiPeer(state=PeerState(members={}, callers={}, channels=live_channels())) as started:
        yield started


@pytest.fixture
async def line(
    backend: str, peer: AmiPeer, make_client: AppFactory, make_settings: Callable[..., Settings]
) -> AsyncIterator[TestClient[Any, Any]]:
    yield await ami_line(peer, make_client, make_settings)
    await close_all()


def agi_port(line: TestClient[Any, Any]) -> int:
    agi = line.app[ASTERISK].agi
    assert agi is not None
    return int(agi.port)


class HeldInQueue(Caller):
    """Keys 0, then stays in app_queue (EXEC Queue does not return) until the test lets go."""

    def __init__(self) -> None:
        super().__init__(keys=["0"], variables={"CHANNEL(linkedid)": LINKEDID})
        self.queued = asyncio.Event()
        self.release = asyncio.Event()

    def reply(self, command: str) -> str | None:
        if command.startswith("EXEC Queue") and not self.release.is_set():
            self.queued.set()
            return "<wait>"
        return None if self.release.is_set() else super().reply(command)


async def hold_in_queue(port: int, caller: HeldInQueue) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    from tests.asterisk_peer import environment_block

    writer.write(environment_block(uniqueid=LINKEDID, callerid="3001234567"))
    try:
        while line := await reader.readline():
            reply = caller.reply(line.decode().rstrip("\n"))
            if reply == "<wait>":
                await caller.release.wait()  # bridged by app_queue until the call ends
                break
            if reply is None:
                break
            writer.write(f"{reply}\n".encode())
            await writer.drain()
    finally:
        writer.close()


async def item_of(line: TestClient[Any, Any]) -> tuple[int, WorkItem]:
    async with line.app[UOW]() as uow:
        call = await uow.session.scalar(select(Conversation).where(Conversation.external_id == LINKEDID))
        assert call is not None
        item = await uow.session.scalar(select(WorkItem).where(WorkItem.conversation_id == call.id))
        assert item is not None
        uow.session.expunge(item)
        return call.id, item


async def eventually(check: Callable[[], Any], within: float = 5.0) -> None:
    async with asyncio.timeout(within):
        while not await check():  # noqa: ASYNC110  (the state lives in the database)
            await asyncio.sleep(0.05)


async def test_app_queue_distributes_the_call_the_router_mirrors_it_and_controls_are_ami_actions(
    line: TestClient[Any, Any], peer: AmiPeer
) -> None:
    caller = HeldInQueue()
    session = asyncio.create_task(hold_in_queue(agi_port(line), caller))
    await asyncio.wait_for(caller.queued.wait(), 10)
    agent_peer, agent = await official(line, AGENT)
    assert (await agent_peer.call("presence", {"presence": "available"}))["ok"]
    conversation_id, item = await item_of(line)
    assert (item.status, item.distributor) == ("waiting", "asterisk")
    await asyncio.sleep(0.5)  # the router had every chance to offer it: it must not
    assert agent_peer.drain("offer") == []

    # app_queue connects the caller to the official's phone: the mirror marks the item theirs.
    connect = _message(("Event", "AgentConnect"), ("Channel", LEG), ("Uniqueid", LINKEDID),
                       ("Linkedid", LINKEDID), ("Queue", "atencion_general"),
                       ("Interface", f"PJSIP/official-{agent}"), ("MemberName", f"official-{agent}"),
                       ("HoldTime", "7"), ("RingTime", "2"), ("Timestamp", "1795476200.000001"))  # fmt: skip
    await peer.send_events([connect])

    async def assigned() -> bool:
        return (await item_of(line))[1].status == "assigned"

    await eventually(assigned)
    _, item = await item_of(line)
    assert item.official_id == agent

    ids = {"conversation_id": conversation_id}
    assert (await agent_peer.call("call_hold", {**ids, "on": True}))["ok"]
    redirect = peer.actions_named("Redirect")[-1]
    assert (redirect["Channel"], redirect["Context"]) == (LEG, "pasto195-espera")
    assert (await agent_peer.call("call_hold", {**ids, "on": False}))["ok"]
    setvar = peer.actions_named("Setvar")[-1]
    assert (setvar["Variable"], setvar["Value"]) == ("OFFICIAL_INTERFACE", f"PJSIP/official-{agent}")
    assert peer.actions_named("Redirect")[-1]["Context"] == "pasto195-conectar"
    assert (await agent_peer.call("call_hangup", ids))["ok"]
    assert peer.actions_named("Hangup")[-1]["Channel"] == LEG
    _, item = await item_of(line)
    assert item.status == "completed"
    caller.release.set()
    await session


async def test_a_callback_on_asterisk_is_offered_by_the_router_and_originated_through_ami(
    line: TestClient[Any, Any], peer: AmiPeer
) -> None:
    # 0: the queue; at the callback offer (90 s) 1 asks for a callback, 1 confirms the number.
    # app_queue's timeout (the seconds until the callback offer) ends the first wait.
    variables = {"CHANNEL(linkedid)": LINKEDID, "QUEUESTATUS": "TIMEOUT", "QUEUEPOSITION": "1"}
    caller = Caller(keys=["0", "1", "1"], variables=variables)
    await call(agi_port(line), caller, uniqueid=LINKEDID)
    conversation_id, item = await item_of(line)
    # app_queue no longer holds a caller who hung up: the router hands the callback out.
    assert (item.status, item.distributor, item.callback_number) == ("waiting", None, "+573001234567")
    agent_peer, agent = await official(line, AGENT)
    assert (await agent_peer.call("presence", {"presence": "available"}))["ok"]
    offer = await agent_peer.next("offer", wait=10, where=lambda o: o["conversation_id"] == conversation_id)
    assert (await agent_peer.call("accept", {"offer_id": offer["offer_id"]})).get("ok")

    async def originated() -> bool:
        return bool(peer.actions_named("Originate"))

    await eventually(originated, 10)
    originate = peer.actions_named("Originate")[0]
    assert (
        originate["Channel"] == "Local/3001234567@callbacks" and originate["Context"] == "callback-conectado"
    )

    async def done() -> bool:
        async with line.app[UOW]() as uow:
            callback = await uow.session.scalar(
                select(VoiceCallback).where(VoiceCallback.conversation_id == conversation_id)
            )
            return callback is not None and callback.status == "done" and callback.official_id == agent

    await eventually(done)  # Asterisk's OriginateResponse (success) reached the mirror
