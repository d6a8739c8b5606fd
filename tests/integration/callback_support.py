"""What the callback-retry tests of both lines (Twilio, Asterisk) share: the callback's rows read back,
an official who takes its offers, the fake clock driven past the retry delay, and what a parked and a
closed callback look like. The lines differ only in how a call is placed and how its outcome comes in."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any, NamedTuple

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from contact_center.core.clock import FakeClock
from contact_center.core.db.models import CallEvent, Conversation
from contact_center.core.db.routing_models import WorkItem
from contact_center.core.http.keys import UOW
from ivr.models import VoiceCallback
from tests.conftest import login
from tests.integration.test_twilio_call_control import AGENT, official
from tests.support.chat_clients import Peer

DELAY_SECONDS = 600  # CALLBACK_RETRY_DELAY_SECONDS of these tests' lines, with CALLBACK_MAX_ATTEMPTS 2
RETRY_SETTINGS: dict[str, Any] = {"callback_max_attempts": 2, "callback_retry_delay_seconds": DELAY_SECONDS}
QUEUE = "atencion_general"  # the default flow's queue (ivr/flows/linea195.yaml)


class CallbackRows(NamedTuple):
    call: Conversation
    callback: VoiceCallback
    item: WorkItem
    events: list[CallEvent]


async def callback_rows(line: TestClient[Any, Any], external_id: str) -> CallbackRows:
    """The call with the provider's id `external_id`, its callback, its work item and its history."""
    async with line.app[UOW]() as uow:
        call = await uow.session.scalar(select(Conversation).where(Conversation.external_id == external_id))
        assert call is not None
        callback = await uow.session.scalar(
            select(VoiceCallback).where(VoiceCallback.conversation_id == call.id)
        )
        item = await uow.session.scalar(select(WorkItem).where(WorkItem.conversation_id == call.id))
        events = (
            await uow.session.scalars(
                select(CallEvent).where(CallEvent.conversation_id == call.id).order_by(CallEvent.id)
            )
        ).all()
        assert callback is not None and item is not None
        uow.session.expunge_all()  # detached with what was read: leaving the unit of work expires nothing
        return CallbackRows(call, callback, item, list(events))


async def dialled(line: TestClient[Any, Any], external_id: str, attempt: int) -> VoiceCallback:
    """The callback once the line has committed its `attempt`-th dial as placed (`dialing`): a
    provider stand-in sees the request before the line commits the provider's answer."""
    async with asyncio.timeout(10):
        while True:
            callback = (await callback_rows(line, external_id)).callback
            if callback.attempts >= attempt and callback.status != "pending":
                assert (callback.status, callback.attempts) == ("dialing", attempt)
                return callback
            await asyncio.sleep(0.05)


async def available_official(line: TestClient[Any, Any]) -> tuple[Peer, int]:
    """An official on the /agents console, available for offers: their peer and id."""
    peer, agent = await official(line, AGENT)
    assert (await peer.call("presence", {"presence": "available"}))["ok"]
    return peer, agent


async def accept_offer(peer: Peer, offer: dict[str, Any] | None = None) -> dict[str, Any]:
    """The official accepts `offer`, or else the next one they are made."""
    offer = offer if offer is not None else await peer.next("offer", wait=10)
    accepted = await peer.call("accept", {"offer_id": offer["offer_id"]})
    assert accepted.get("ok"), accepted
    return offer


async def offered_once_the_delay_passes(clock: FakeClock, peer: Peer, conversation_id: int) -> dict[str, Any]:
    """Nobody is offered the parked callback until the retry delay has passed on the fake clock; then
    its conversation is offered again. The offer, not accepted yet: nothing is dialled before that."""
    clock.advance(seconds=DELAY_SECONDS - 60)
    with pytest.raises(TimeoutError):
        await peer.next("offer", wait=3)
    clock.advance(seconds=61)
    offer = await peer.next("offer", wait=10)
    assert offer["conversation_id"] == conversation_id
    return offer


async def long_after(clock: FakeClock) -> None:
    """Three retry delays later on the fake clock, with real time for a dialling round (every 2 s)."""
    clock.advance(seconds=DELAY_SECONDS * 3)
    await asyncio.sleep(2.5)


async def abandoned_in_queue(line: TestClient[Any, Any]) -> int:
    """The supervisors' count of abandoned calls in the callbacks' queue (GET /api/v1/stats/queues)."""
    supervisor = {"Authorization": f"Bearer {await login(line, 'supervisor@demo.pasto.gov.co')}"}
    resp = await line.get("/api/v1/stats/queues", headers=supervisor)
    assert resp.status == 200
    queue = next(q for q in (await resp.json())["queues"] if q["code"] == QUEUE)
    return int(queue["abandoned"])


def spent_attempts(events: list[CallEvent]) -> list[tuple[str, int, str]]:
    """(kind, attempt, outcome) of every attempt spent: unanswered calls and refused dials, in order."""
    spent = ("callback_not_answered", "callback_dial_refused")
    return [(e.kind, e.data["attempt"], e.data["outcome"]) for e in events if e.kind in spent]


def assert_parked(rows: CallbackRows, attempts: int, enqueued_at: datetime) -> None:
    """`attempts` spent and waiting for the next: in its original place in line, offered to nobody."""
    call, callback, item, _ = rows
    assert (callback.status, callback.attempts, callback.official_id) == ("retry", attempts, None)
    assert (item.status, item.official_id, item.distributor) == ("waiting", None, "callback")
    assert item.enqueued_at == enqueued_at
    assert call.state == "queued" and call.ended_at is None


def assert_closed(rows: CallbackRows, attempts: int, last_outcome: str) -> None:
    """The last of `attempts` failed too: the callback is closed, the call and its work item abandoned,
    and the closing, with the last outcome, is in the call's history."""
    call, callback, item, events = rows
    assert (callback.status, callback.attempts) == ("failed", attempts)
    assert (call.state, call.wrap_up_code) == ("abandoned", "devolucion_sin_respuesta")
    assert call.ended_at is not None
    assert item.status == "abandoned"
    closed = [e.data for e in events if e.kind == "callback_closed"]
    assert closed == [{"attempts": attempts, "outcome": last_outcome}]
