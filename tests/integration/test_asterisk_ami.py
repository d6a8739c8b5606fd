"""The AMI client against a simulated Asterisk speaking real AMI over loopback TCP."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import pytest

from channels.asterisk.ami import AmiClient
from channels.asterisk.backoff import Backoff
from channels.asterisk.config import AmiConfig
from channels.asterisk.errors import (
    AmiActionFailed,
    AmiActionTimeout,
    AmiConnectionLost,
    AmiNotConnected,
)
from channels.asterisk.events import (
    AgentCalled,
    AgentCompleted,
    AgentConnected,
    CallerJoinedQueue,
    CallerLeftQueue,
    CallEvent,
    ChannelCreated,
    ChannelHungUp,
    DeviceStatus,
    Disposition,
    MemberPaused,
    MemberStatusChanged,
    OriginateResult,
    classify,
)
from channels.asterisk.snapshots import ChannelSnapshot, QueueSnapshot
from tests.asterisk_peer import AmiPeer, load_capture

CALL_FLOW = (CallerJoinedQueue, AgentCalled, CallerLeftQueue, AgentConnected, AgentCompleted)


def config_for(peer: AmiPeer, **overrides: Any) -> AmiConfig:
    base = AmiConfig(
        host="127.0.0.1", port=peer.port, username=peer.username, secret=peer.secret,
        connect_timeout=0.5, action_timeout=0.5, ping_interval=0.05, ping_timeout=0.1,
        backoff_initial=0.02, backoff_max=0.1,
    )  # fmt: skip
    return replace(base, **overrides)


async def until(predicate: Callable[[], bool], within_s: float = 1.5) -> None:
    async with asyncio.timeout(within_s):
        while not predicate():  # noqa: ASYNC110 - polling what the client exposes is enough here
            await asyncio.sleep(0.005)


@pytest.fixture
async def peer() -> AsyncIterator[AmiPeer]:
    async with AmiPeer() as running:
        yield running


@pytest.fixture
async def client(peer: AmiPeer) -> AsyncIterator[AmiClient]:
    ami = AmiClient(config_for(peer), rng=lambda: 0.0)
    await ami.start()
    await ami.wait_connected(1.0)
    yield ami
    await ami.close()


def collect(ami: AmiClient) -> list[CallEvent]:
    seen: list[CallEvent] = []
    ami.subscribe(seen.append)
    return seen


async def test_login_then_capture_replay_yields_the_call_as_typed_events_in_order(
    peer: AmiPeer, client: AmiClient
) -> None:
    seen = collect(client)
    sent = await peer.replay()
    await until(lambda: client.stats.received >= sent)

    login = peer.actions_named("Login")[0]
    assert (login["Username"], login["Secret"]) == ("pasto195", "s3cret")
    flow = [e for e in seen if isinstance(e, CALL_FLOW)]
    assert [type(e) for e in flow] == list(CALL_FLOW)
    joined, _, left, connected, completed = flow
    assert joined == CallerJoinedQueue(
        uniqueid="1795476467.5", linkedid="1795476467.4", channel="Local/s@test-00000002;2",
        timestamp=1795476468.220220, queue="support", caller_id_num=None, caller_id_name=None,
        position=1, count=1,
    )  # fmt: skip
    assert isinstance(left, CallerLeftQueue)
    assert (left.queue, left.count) == ("support", 0)
    assert isinstance(connected, AgentConnected)
    assert (connected.interface, connected.member_name, connected.hold_time) == (
        "Local/1001@agents/n", "Agent1001", 0,
    )  # fmt: skip
    assert isinstance(completed, AgentCompleted)
    assert (completed.talk_time, completed.reason) == (3, "agent")
    hangups = [e for e in seen if isinstance(e, ChannelHungUp)]
    assert [h.cause for h in hangups] == [16, 16, 16, 16]
    assert {h.linkedid for h in hangups} == {"1795476467.4"}
    assert seen.index(completed) < seen.index(hangups[-1])
    assert client.stats.unknown == 0


def test_every_event_kind_of_the_capture_is_typed_or_deliberately_ignored() -> None:
    names = set(load_capture().names())
    assert {n for n in names if classify(n) is Disposition.UNKNOWN} == set()
    assert classify("QueueCallerAbandon") is Disposition.TYPED
    assert classify("SomethingNew") is Disposition.UNKNOWN


async def test_dropped_link_reconnects_with_growing_backoff_and_resyncs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    snapshots: list[tuple[tuple[QueueSnapshot, ...], tuple[ChannelSnapshot, ...]]] = []

    async def resync(ami: AmiClient) -> None:
        snapshots.append((await ami.queue_status(), await ami.core_show_channels()))

    caplog.set_level(logging.INFO, logger="channels.asterisk")
    first = await AmiPeer().start()
    port = first.port
    ami = AmiClient(config_for(first), on_reconnected=resync, rng=lambda: 0.0)
    await ami.start()
    try:
        await until(lambda: len(snapshots) == 1)
        await first.close()  # Asterisk restarts: the port refuses connections for a while
        await until(lambda: _failed_attempts(caplog) >= 4)
        async with AmiPeer(port=port):
            await until(lambda: len(snapshots) == 2)
    finally:
        await ami.close()

    delays = [r.delay_s for r in caplog.records if r.msg == "ami_retry_scheduled"]  # type: ignore[attr-defined]
    assert delays[:5] == [0.01, 0.02, 0.04, 0.05, 0.05]  # doubling, capped (rng=0: lower half)
    queues, channels = snapshots[-1]
    (support,) = queues
    assert support.name == "support"
    assert [m.interface for m in support.members] == ["Local/1001@agents/n"]
    assert support.members[0].status is DeviceStatus.NOT_INUSE
    assert [(e.uniqueid, e.position, e.wait_seconds) for e in support.entries] == [("1795476467.5", 1, 12)]
    assert channels[0].caller_id_name == "Peña Ñáñez"
    assert channels[0].linkedid == "1795476467.4"


def _failed_attempts(caplog: pytest.LogCaptureFixture) -> int:
    return sum(r.msg == "ami_connect_failed" for r in caplog.records)


def test_backoff_doubles_is_capped_and_jittered_into_its_upper_half() -> None:
    low = Backoff(0.5, 4.0, rng=lambda: 0.0)
    assert [low.next_delay() for _ in range(6)] == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0]
    high = Backoff(0.5, 4.0, rng=lambda: 0.999)
    assert max(high.next_delay() for _ in range(10)) < 4.0
    high.reset()
    assert high.attempt == 0


async def test_silent_peer_is_declared_dead_within_the_liveness_timeout(
    peer: AmiPeer, client: AmiClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="channels.asterisk")
    peer.go_silent()
    started = asyncio.get_running_loop().time()
    await until(lambda: not client.connected, within_s=1.0)
    # ping_interval 0.05 + ping_timeout 0.1, plus scheduling slack
    assert asyncio.get_running_loop().time() - started < 0.4
    lost = [r for r in caplog.records if r.msg == "ami_link_lost"]
    assert "liveness" in lost[0].reason  # type: ignore[attr-defined]
    peer.answer_pings = True
    await peer.wait_logins(2)
    await client.wait_connected(1.0)


async def test_an_unanswered_action_times_out_and_the_link_stays_up(peer: AmiPeer, client: AmiClient) -> None:
    peer.swallow.add("queuepause")
    with pytest.raises(AmiActionTimeout, match="QueuePause"):
        await client.queue_pause("Local/1001@agents/n", "support", True, "almuerzo")
    assert client.connected
    assert await client.ping() < 0.5


async def test_an_action_pending_on_a_dropped_link_fails_and_is_not_resent(
    peer: AmiPeer, client: AmiClient
) -> None:
    peer.swallow.add("queuepause")
    pending = asyncio.create_task(client.queue_pause("Local/1001@agents/n", "support", True, "almuerzo"))
    await until(lambda: len(peer.actions_named("QueuePause")) == 1)
    peer.drop()
    with pytest.raises(AmiConnectionLost):
        await asyncio.wait_for(pending, 0.3)
    await peer.wait_logins(2)
    await asyncio.sleep(0.1)  # give a stale re-send every chance to show up
    assert len(peer.actions_named("QueuePause")) == 1


async def test_actions_while_disconnected_fail_at_once(peer: AmiPeer) -> None:
    ami = AmiClient(config_for(peer, secret="wrong"), rng=lambda: 0.0)
    await ami.start()
    try:
        await asyncio.sleep(0.1)
        assert not ami.connected
        with pytest.raises(AmiNotConnected):
            await ami.queue_status()
    finally:
        await ami.close()
    assert peer.logins == 0


async def test_a_failing_handler_is_logged_with_the_event_and_later_events_still_arrive(
    peer: AmiPeer, client: AmiClient, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(event: CallEvent) -> None:
        if isinstance(event, CallerJoinedQueue):
            raise RuntimeError("bug in the host")

    async def explode_async(event: CallEvent) -> None:
        if isinstance(event, AgentCalled):
            raise RuntimeError("async bug in the host")

    client.subscribe(explode)
    client.subscribe(explode_async)
    seen = collect(client)
    sent = await peer.replay()
    await until(lambda: client.stats.received >= sent)
    await client.drained()

    failures = [r for r in caplog.records if r.msg == "ami_handler_failed"]
    assert [r.event for r in failures] == ["QueueCallerJoin", "AgentCalled"]  # type: ignore[attr-defined]
    assert client.stats.handler_errors == 2
    assert [type(e) for e in seen if isinstance(e, CALL_FLOW)] == list(CALL_FLOW)
    assert isinstance(seen[-1], ChannelHungUp)


async def test_a_burst_of_ten_thousand_events_is_delivered_complete_and_in_order(
    peer: AmiPeer, client: AmiClient
) -> None:
    names: list[str] = []
    client.subscribe_raw(lambda raw: names.append(raw["Event"]))
    sent = await peer.burst(10_000)
    await until(lambda: len(names) >= sent, within_s=5.0)
    expected = (peer.capture.names() * 100)[:10_000]
    assert names == expected


async def test_queue_member_actions_and_originate_round_trip(peer: AmiPeer, client: AmiClient) -> None:
    seen = collect(client)
    await client.queue_add("PJSIP/agente2", "support", member_name="Agente 2", penalty=1)
    with pytest.raises(AmiActionFailed, match="Already there"):
        await client.queue_add("PJSIP/agente2", "support")
    await client.queue_pause("PJSIP/agente2", "support", True, "capacitación")
    (support,) = await client.queue_status("support")
    member = {m.interface: m for m in support.members}["PJSIP/agente2"]
    assert (member.member_name, member.paused, member.paused_reason, member.penalty) == (
        "Agente 2", True, "capacitación", 1,
    )  # fmt: skip
    await client.queue_remove("PJSIP/agente2", "support")
    assert "PJSIP/agente2" not in {m.interface for m in (await client.queue_status())[0].members}

    action_id = await client.originate(
        "Local/3001234567@callbacks", context="ivr", exten="s",
        variables={"RADICADO": "2026-000123"},
    )  # fmt: skip
    assert peer.actions_named("Originate")[0]["Variable"] == "RADICADO=2026-000123"
    await until(lambda: any(isinstance(e, OriginateResult) for e in seen))
    paused = next(e for e in seen if isinstance(e, MemberPaused))
    assert (paused.interface, paused.paused, paused.reason) == ("PJSIP/agente2", True, "capacitación")
    result = next(e for e in seen if isinstance(e, OriginateResult))
    assert (result.action_id, result.success, result.reason) == (action_id, True, 4)


async def test_accented_names_split_across_tcp_reads_arrive_intact(peer: AmiPeer, client: AmiClient) -> None:
    seen = collect(client)
    event = (
        "Event: Newchannel\r\nChannel: PJSIP/troncal-0001\r\nCallerIDNum: 3001234567\r\n"
        "CallerIDName: Peña Ñáñez\r\nContext: entrante\r\nExten: 195\r\n"
        "Uniqueid: 1795476500.9\r\nLinkedid: 1795476500.9\r\n\r\n"
    ).encode()
    cut = event.index("ñ".encode()) + 1  # in the middle of a two-byte character
    await peer.send_events([event[:cut]])
    await asyncio.sleep(0.02)
    await peer.send_events([event[cut:]])
    await until(lambda: any(isinstance(e, ChannelCreated) for e in seen))
    created = next(e for e in seen if isinstance(e, ChannelCreated))
    assert created.caller_id_name == "Peña Ñáñez"


async def test_a_malformed_typed_event_is_counted_and_skipped(
    peer: AmiPeer, client: AmiClient, caplog: pytest.LogCaptureFixture
) -> None:
    seen = collect(client)
    broken = b"Event: QueueCallerJoin\r\nQueue: support\r\nPosition: uno\r\n\r\n"
    member = (
        b"Event: QueueMemberStatus\r\nQueue: support\r\nInterface: PJSIP/a1\r\n"
        b"MemberName: A1\r\nStatus: 2\r\nPaused: 0\r\nInCall: 1\r\n\r\n"
    )
    await peer.send_events([broken, member])
    await until(lambda: bool(seen))
    assert client.stats.malformed == 1
    assert [r.event for r in caplog.records if r.msg == "ami_event_malformed"] == [  # type: ignore[attr-defined]
        "QueueCallerJoin"
    ]
    (status,) = seen
    assert isinstance(status, MemberStatusChanged)
    assert (status.status, status.in_call) == (DeviceStatus.INUSE, True)
