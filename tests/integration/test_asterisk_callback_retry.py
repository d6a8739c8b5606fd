"""An Asterisk callback the citizen does not answer (OriginateResponse failures from the simulated
Asterisk), or whose Originate Asterisk refuses (Response: Error), is originated again after the
configured delay on the fake clock, keeping the citizen's place, and closed after the last attempt
with its outcome in the call's history."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from contact_center.core.clock import FakeClock
from contact_center.core.config import Settings
from tests.asterisk_peer import REFUSED, AmiPeer, PeerState
from tests.conftest import AppFactory
from tests.integration.agi_caller import Caller, call
from tests.integration.callback_support import (
    RETRY_SETTINGS,
    accept_offer,
    assert_closed,
    assert_parked,
    available_official,
    callback_rows,
    long_after,
    offered_once_the_delay_passes,
    spent_attempts,
)
from tests.integration.test_asterisk_call_control import (
    LINKEDID,
    agi_port,
    ami_line,
    eventually,
    live_channels,
)
from tests.support.chat_clients import close_all

NO_ANSWER, BUSY = 3, 5  # OriginateResponse Reason codes

# app_queue's timeout (the seconds until the callback offer) ends the first wait.
QUEUED_UNTIL_OFFER = {"CHANNEL(linkedid)": LINKEDID, "QUEUESTATUS": "TIMEOUT", "QUEUEPOSITION": "1"}


@pytest.fixture
async def peer() -> AsyncIterator[AmiPeer]:
    state = PeerState(members={}, callers={}, channels=live_channels(), originate_reasons=[NO_ANSWER, BUSY])
    async with AmiPeer(state=state) as started:
        yield started


@pytest.fixture
async def line(
    backend: str, peer: AmiPeer, make_client: AppFactory, make_settings: Callable[..., Settings]
) -> AsyncIterator[TestClient[Any, Any]]:
    yield await ami_line(peer, make_client, make_settings, **RETRY_SETTINGS)
    await close_all()


async def ask_for_callback(line: TestClient[Any, Any]) -> None:
    """0: the queue; after three announcements (90 s) 1 asks for a callback, 1 confirms the number."""
    await call(agi_port(line), Caller(keys=["0", "1", "1"], variables=QUEUED_UNTIL_OFFER),
               uniqueid=LINKEDID)  # fmt: skip


async def settled(line: TestClient[Any, Any], status: str) -> None:
    """Wait until the callback's status is `status` (an Originate's outcome comes in through AMI)."""

    async def reached() -> bool:
        return (await callback_rows(line, LINKEDID)).callback.status == status

    await eventually(reached, 10)


async def test_an_unanswered_asterisk_callback_is_originated_again_then_closed(
    line: TestClient[Any, Any], peer: AmiPeer, clock: FakeClock
) -> None:
    await ask_for_callback(line)
    queued = await callback_rows(line, LINKEDID)
    agent_peer, _ = await available_official(line)
    await accept_offer(agent_peer)

    await settled(line, "retry")  # Originate, then its OriginateResponse (no answer) via the mirror
    assert len(peer.actions_named("Originate")) == 1
    parked = await callback_rows(line, LINKEDID)
    assert_parked(parked, 1, queued.item.enqueued_at)
    assert spent_attempts(parked.events) == [("callback_not_answered", 1, "no-answer")]

    offer = await offered_once_the_delay_passes(clock, agent_peer, parked.call.id)
    assert len(peer.actions_named("Originate")) == 1  # not originated again before that
    await accept_offer(agent_peer, offer)

    await settled(line, "failed")  # the second Originate is busy: the last attempt
    assert len(peer.actions_named("Originate")) == 2
    closed = await callback_rows(line, LINKEDID)
    assert_closed(closed, 2, "busy")
    assert spent_attempts(closed.events) == [
        ("callback_not_answered", 1, "no-answer"),
        ("callback_not_answered", 2, "busy"),
    ]

    await long_after(clock)  # nothing is originated again
    assert len(peer.actions_named("Originate")) == 2
    await agent_peer.close()


async def test_an_originate_asterisk_refuses_is_retried_after_the_delay_then_closed(
    line: TestClient[Any, Any], peer: AmiPeer, clock: FakeClock
) -> None:
    peer.state.originate_reasons[:] = [REFUSED, REFUSED]  # both Originates answer Response: Error
    await ask_for_callback(line)
    queued = await callback_rows(line, LINKEDID)
    agent_peer, _ = await available_official(line)
    await accept_offer(agent_peer)

    await settled(line, "retry")  # refused: the attempt is spent, parked
    parked = await callback_rows(line, LINKEDID)
    assert_parked(parked, 1, queued.item.enqueued_at)
    assert [e.data for e in parked.events if e.kind == "callback_dial_refused"] == [
        {"attempt": 1, "outcome": "dial-refused", "error": "Originate: Extension does not exist."}
    ]

    offer = await offered_once_the_delay_passes(clock, agent_peer, parked.call.id)
    assert len(peer.actions_named("Originate")) == 1  # no new Originate on the rounds before the delay
    await accept_offer(agent_peer, offer)

    await settled(line, "failed")  # refused again: the last of 2 attempts
    assert len(peer.actions_named("Originate")) == 2
    closed = await callback_rows(line, LINKEDID)
    assert_closed(closed, 2, "dial-refused")
    assert spent_attempts(closed.events) == [
        ("callback_dial_refused", 1, "dial-refused"),
        ("callback_dial_refused", 2, "dial-refused"),
    ]

    await long_after(clock)  # nothing is originated again
    assert len(peer.actions_named("Originate")) == 2
    await agent_peer.close()
