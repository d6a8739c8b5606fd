"""The AMI mirror against the simulated Asterisk replaying the Asterisk 22 capture."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select, update

from channels.asterisk.ami import AmiClient
from channels.asterisk.config import AmiConfig
from channels.asterisk.mirror import TOPIC, AmiMirror
from contact_center.core.db.models import CallEvent, Conversation, Official
from contact_center.core.http.keys import UOW
from ivr.models import VoiceQueueStats
from tests.asterisk_peer import AmiPeer, PeerState

LINKEDID = "1795476467.4"  # the captured call (Local/s@test-00000002;1)
TYPED_CHANNEL_EVENTS = (
    9  # Newchannel x4, QueueCallerJoin, AgentCalled, AgentConnect, QueueCallerLeave, AgentComplete...
)


@pytest.fixture
async def city(seeded: TestClient[Any, Any]) -> TestClient[Any, Any]:
    return seeded


async def start(peer: AmiPeer, mirror: AmiMirror, **config: Any) -> AmiClient:
    settings = {"ping_interval": 30.0, "backoff_initial": 0.05, "backoff_max": 0.1, **config}
    ami = AmiConfig(host="127.0.0.1", port=peer.port, username=peer.username, secret=peer.secret, **settings)
    client = AmiClient(ami, on_reconnected=mirror.resync)
    client.subscribe(mirror)
    await client.start()
    await client.wait_connected(3.0)
    await client.drained()
    return client


@pytest.fixture
async def mirror(city: TestClient[Any, Any]) -> AsyncIterator[AmiMirror]:
    yield AmiMirror(city.app[UOW], batch_size=50)


async def settle(client: AmiClient, mirror: AmiMirror) -> None:
    await asyncio.sleep(0.05)
    await client.drained()
    await mirror.flush()


async def count_events(city: TestClient[Any, Any]) -> int:
    async with city.app[UOW]() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(CallEvent)) or 0)


async def test_the_captured_call_becomes_one_conversation_with_its_figures(
    city: TestClient[Any, Any], mirror: AmiMirror
) -> None:
    async with AmiPeer() as peer:
        client = await start(peer, mirror)
        try:
            await peer.replay()
            await settle(client, mirror)
        finally:
            await client.close()
    async with city.app[UOW]() as uow:
        call = await uow.session.scalar(select(Conversation).where(Conversation.external_id == LINKEDID))
        assert call is not None and call.channel == "voice" and call.topic == TOPIC
        assert call.answered_at is not None and call.ended_at is not None
        assert call.state == "closed"
        kinds = set((await uow.session.scalars(select(CallEvent.kind))).all())
        assert {"CallerJoinedQueue", "AgentConnected", "AgentCompleted", "ChannelHungUp"} <= kinds
        day = await uow.session.scalar(select(VoiceQueueStats).where(VoiceQueueStats.queue == "support"))
        assert day is not None and (day.joined, day.answered, day.abandoned) == (1, 1, 0)
        assert day.talk_seconds >= 1


async def test_replays_and_bursts_are_applied_once(city: TestClient[Any, Any], mirror: AmiMirror) -> None:
    async with AmiPeer() as peer:
        client = await start(peer, mirror)
        try:
            await peer.replay()
            await settle(client, mirror)
            once = await count_events(city)
            await peer.replay(times=3)
            await peer.burst(2_000)
            await settle(client, mirror)
        finally:
            await client.close()
    assert once >= TYPED_CHANNEL_EVENTS
    assert await count_events(city) == once
    assert mirror.stats.duplicates > 0
    async with city.app[UOW]() as uow:
        day = await uow.session.scalar(select(VoiceQueueStats).where(VoiceQueueStats.queue == "support"))
        assert day is not None and (day.joined, day.answered) == (1, 1)


async def test_after_a_reconnect_calls_that_ended_unseen_are_closed(
    city: TestClient[Any, Any], mirror: AmiMirror
) -> None:
    async with city.app[UOW]() as uow:
        started = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
        for external_id in ("1795476467.4", "gone.1"):  # the first is live in the peer's channels
            uow.session.add(Conversation(channel="voice", external_id=external_id, state="queued",
                                         topic=TOPIC, started_at=started))  # fmt: skip
        await uow.commit()
    async with AmiPeer() as peer:
        client = await start(peer, mirror)
        try:
            peer.drop()
            await peer.wait_logins(2, within_s=3.0)
            await settle(client, mirror)
        finally:
            await client.close()
    assert len(peer.actions_named("CoreShowChannels")) >= 2  # resync after the first login and the second
    async with city.app[UOW]() as uow:
        states = dict((await uow.session.execute(select(Conversation.external_id, Conversation.state))).all())
    assert states == {"1795476467.4": "queued", "gone.1": "abandoned"}


async def test_a_dead_link_is_noticed_and_resynchronised(
    city: TestClient[Any, Any], mirror: AmiMirror
) -> None:
    async with AmiPeer() as peer:
        client = await start(peer, mirror, ping_interval=0.05, ping_timeout=0.1)
        try:
            peer.go_silent()
            await peer.wait_logins(2, within_s=3.0)
            peer.answer_pings = True
            await client.wait_connected(2.0)
            await settle(client, mirror)
        finally:
            await client.close()
    assert client.links_opened >= 2
    assert len(peer.actions_named("QueueStatus")) >= 2


async def test_queue_membership_follows_presence(city: TestClient[Any, Any], mirror: AmiMirror) -> None:
    async with city.app[UOW]() as uow:
        ids = dict((await uow.session.execute(select(Official.email, Official.id))).all())
        await uow.session.execute(
            update(Official).where(Official.email == "agente1@demo.pasto.gov.co").values(presence="available")
        )
        await uow.session.execute(
            update(Official)
            .where(Official.email == "agente2@demo.pasto.gov.co")
            .values(presence="away", away_reason="almuerzo")
        )
        await uow.commit()
    state = PeerState(members={"atencion_general": {}}, callers={}, channels=[])
    async with AmiPeer(state=state) as peer:
        client = await start(peer, mirror)
        await settle(client, mirror)
        try:
            members = state.members["atencion_general"]
            one, two = (
                f"PJSIP/official-{ids['agente1@demo.pasto.gov.co']}",
                f"PJSIP/official-{ids['agente2@demo.pasto.gov.co']}",
            )
            assert set(members) == {one, two}
            assert (members[one].paused, members[two].paused) == (False, True)
            # agente1 goes away: the next reconnect (or periodic round) pauses them with the reason.
            async with city.app[UOW]() as uow:
                await uow.session.execute(
                    update(Official).where(Official.id == ids["agente1@demo.pasto.gov.co"])
                    .values(presence="away", away_reason="capacitación")
                )  # fmt: skip
                await uow.commit()
            peer.drop()
            await peer.wait_logins(2, within_s=3.0)
            await settle(client, mirror)
            assert (members[one].paused, members[one].reason) == (True, "capacitación")
        finally:
            await client.close()
