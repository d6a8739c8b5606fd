"""An Asterisk callback the citizen does not answer (OriginateResponse failures from the simulated
Asterisk), or whose Originate Asterisk refuses (Response: Error), is originated again after the
configured delay on the fake clock, keeping the citizen's place, and closed after the last attempt
with its outcome in the call's history."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from contact_center.config import Settings
from contact_center.domain.clock import FakeClock
from contact_center.persistence.models import CallEvent, Conversation
from contact_center.persistence.routing_models import WorkItem
from contact_center.persistence.voice_models import VoiceCallback
from contact_center.web.keys import UOW
from ivr.asterisk_install import ASTERISK
from tests.asterisk_peer import REFUSED, AmiPeer, PeerState
from tests.conftest import AppFactory
from tests.integration.agi_caller import Caller, call
from tests.integration.test_asterisk_call_control import LEG, LINKEDID, agi_port, eventually
from tests.integration.test_twilio_call_control import AGENT, official
from tests.support.chat_clients import Peer, close_all, seed_before_start

DELAY_SECONDS = 600
NO_ANSWER, BUSY = 3, 5  # OriginateResponse Reason codes


@pytest.fixture
async def peer() -> AsyncIterator[AmiPeer]:
    live = [{"Channel": LEG, "Uniqueid": LINKEDID, "Linkedid": LINKEDID, "ChannelStateDesc": "Up",
             "CallerIDNum": "3001234567", "CallerIDName": "", "Context": "ivr", "Exten": "s",
             "Application": "AGI", "BridgeId": "", "Duration": "00:00:05"}]  # fmt: skip
    state = PeerState(members={}, callers={}, channels=live, originate_reasons=[NO_ANSWER, BUSY])
    async with AmiPeer(state=state) as started:
        yield started


@pytest.fixture
async def line(
    backend: str, peer: AmiPeer, make_client: AppFactory, make_settings: Callable[..., Settings]
) -> AsyncIterator[TestClient[Any, Any]]:
    settings = make_settings(ami_host="127.0.0.1", ami_port=peer.port, ami_username=peer.username,
                             ami_secret=peer.secret, agi_host="127.0.0.1", agi_port=0,
                             callback_max_attempts=2, callback_retry_delay_seconds=DELAY_SECONDS)  # fmt: skip
    await seed_before_start(settings)
    client = await make_client(settings)
    ami = client.app[ASTERISK].ami
    assert ami is not None
    await ami.wait_connected(3.0)
    yield client
    await close_all()


async def callback_state(
    line: TestClient[Any, Any],
) -> tuple[Conversation, VoiceCallback, WorkItem, list[CallEvent]]:
    async with line.app[UOW]() as uow:
        call_row = await uow.session.scalar(select(Conversation).where(Conversation.external_id == LINKEDID))
        assert call_row is not None
        callback = await uow.session.scalar(
            select(VoiceCallback).where(VoiceCallback.conversation_id == call_row.id)
        )
        item = await uow.session.scalar(select(WorkItem).where(WorkItem.conversation_id == call_row.id))
        events = (
            await uow.session.scalars(
                select(CallEvent).where(CallEvent.conversation_id == call_row.id).order_by(CallEvent.id)
            )
        ).all()
        assert callback is not None and item is not None
        uow.session.expunge_all()  # detached with what was read: leaving the unit of work expires nothing
        return call_row, callback, item, list(events)


async def accept_offer(agent_peer: Peer) -> None:
    offer = await agent_peer.next("offer", wait=10)
    assert (await agent_peer.call("accept", {"offer_id": offer["offer_id"]})).get("ok")


async def test_an_unanswered_asterisk_callback_is_originated_again_then_closed(
    line: TestClient[Any, Any], peer: AmiPeer, clock: FakeClock
) -> None:
    # 0: the queue; after three announcements (90 s) 1 asks for a callback, 1 confirms the number.
    await call(agi_port(line), Caller(keys=["0", "1", "1"], variables={"CHANNEL(linkedid)": LINKEDID}),
               uniqueid=LINKEDID)  # fmt: skip
    _, _, queued, _ = await callback_state(line)
    agent_peer, _ = await official(line, AGENT)
    assert (await agent_peer.call("presence", {"presence": "available"}))["ok"]
    offer = await agent_peer.next("offer", wait=10)
    assert (await agent_peer.call("accept", {"offer_id": offer["offer_id"]})).get("ok")

    async def parked() -> bool:
        _, callback, _, _ = await callback_state(line)
        return callback.status == "retry"

    await eventually(parked, 10)  # Originate, then its OriginateResponse (no answer) via the mirror
    assert len(peer.actions_named("Originate")) == 1
    call_row, callback, item, events = await callback_state(line)
    assert (callback.attempts, callback.official_id) == (1, None)
    assert (item.status, item.distributor, item.enqueued_at) == ("waiting", "callback", queued.enqueued_at)
    assert call_row.state == "queued"
    assert [(e.data["attempt"], e.data["outcome"]) for e in events if e.kind == "callback_not_answered"] == [
        (1, "no-answer")
    ]

    clock.advance(seconds=DELAY_SECONDS - 60)  # not yet: nobody is offered it, nothing is originated
    with pytest.raises(TimeoutError):
        await agent_peer.next("offer", wait=3)
    clock.advance(seconds=61)
    offer = await agent_peer.next("offer", wait=10)
    assert offer["conversation_id"] == call_row.id
    assert (await agent_peer.call("accept", {"offer_id": offer["offer_id"]})).get("ok")

    async def closed() -> bool:
        _, callback, _, _ = await callback_state(line)
        return callback.status == "failed"

    await eventually(closed, 10)  # the second Originate is busy: the last attempt
    assert len(peer.actions_named("Originate")) == 2
    call_row, callback, item, events = await callback_state(line)
    assert callback.attempts == 2 and item.status == "abandoned"
    assert (call_row.state, call_row.wrap_up_code) == ("abandoned", "devolucion_sin_respuesta")
    outcomes = [(e.data["attempt"], e.data["outcome"]) for e in events if e.kind == "callback_not_answered"]
    assert outcomes == [(1, "no-answer"), (2, "busy")]
    assert [e.data for e in events if e.kind == "callback_closed"] == [{"attempts": 2, "outcome": "busy"}]

    clock.advance(seconds=DELAY_SECONDS * 3)  # nothing is originated again
    await asyncio.sleep(2.5)
    assert len(peer.actions_named("Originate")) == 2
    await agent_peer.close()


async def test_an_originate_asterisk_refuses_is_retried_after_the_delay_then_closed(
    line: TestClient[Any, Any], peer: AmiPeer, clock: FakeClock
) -> None:
    peer.state.originate_reasons[:] = [REFUSED, REFUSED]  # both Originates answer Response: Error
    await call(agi_port(line), Caller(keys=["0", "1", "1"], variables={"CHANNEL(linkedid)": LINKEDID}),
               uniqueid=LINKEDID)  # fmt: skip
    _, _, queued, _ = await callback_state(line)
    agent_peer, _ = await official(line, AGENT)
    assert (await agent_peer.call("presence", {"presence": "available"}))["ok"]
    await accept_offer(agent_peer)

    async def settled(status: str) -> bool:
        _, callback, _, _ = await callback_state(line)
        return callback.status == status

    await eventually(lambda: settled("retry"), 10)  # refused: the attempt is spent, parked
    call_row, callback, item, events = await callback_state(line)
    assert (callback.attempts, callback.official_id) == (1, None)
    assert (item.status, item.distributor, item.enqueued_at) == ("waiting", "callback", queued.enqueued_at)
    assert call_row.state == "queued"
    assert [e.data for e in events if e.kind == "callback_dial_refused"] == [
        {"attempt": 1, "outcome": "dial-refused", "error": "Originate: Extension does not exist."}
    ]

    await asyncio.sleep(2.5)  # a dialling round passes: no new Originate before the delay
    clock.advance(seconds=DELAY_SECONDS - 60)
    with pytest.raises(TimeoutError):
        await agent_peer.next("offer", wait=3)
    assert len(peer.actions_named("Originate")) == 1
    clock.advance(seconds=61)
    await accept_offer(agent_peer)

    await eventually(lambda: settled("failed"), 10)  # refused again: the last of 2 attempts
    assert len(peer.actions_named("Originate")) == 2
    call_row, callback, item, events = await callback_state(line)
    assert callback.attempts == 2 and item.status == "abandoned"
    assert (call_row.state, call_row.wrap_up_code) == ("abandoned", "devolucion_sin_respuesta")
    assert [e.data["attempt"] for e in events if e.kind == "callback_dial_refused"] == [1, 2]
    assert [e.kind for e in events if e.kind == "callback_not_answered"] == []
    assert [e.data for e in events if e.kind == "callback_closed"] == [
        {"attempts": 2, "outcome": "dial-refused"}
    ]

    clock.advance(seconds=DELAY_SECONDS * 3)  # nothing is originated again
    await asyncio.sleep(2.5)
    assert len(peer.actions_named("Originate")) == 2
    await agent_peer.close()
