"""A Twilio callback whose outgoing call Twilio refuses to place (its REST API answers an error; the
line's real REST client talks to a local stand-in) is an attempt like an unanswered call: dialled
again after the configured delay on the test's fake clock, keeping the citizen's place, and closed
after the last attempt, with each refusal in the call's history."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from contact_center.config import Settings
from contact_center.domain.clock import FakeClock
from contact_center.persistence.voice_models import VoiceCallback
from tests.conftest import AppFactory, login
from tests.integration.test_twilio_call_control import AGENT, official
from tests.integration.test_twilio_callback import ask_for_callback
from tests.integration.test_twilio_callback_retry import placed, snapshot, status
from tests.integration.twilio_support import CALLER, GEO_REFUSAL, TwilioRest
from tests.support.chat_clients import close_all, seed_before_start

DELAY_SECONDS = 600
QUEUE = "atencion_general"  # the default flow's queue (ivr/flows/linea195.yaml)


@pytest.fixture
async def rest() -> AsyncIterator[TwilioRest]:
    standin = await TwilioRest().start()
    yield standin
    await standin.close()


@pytest.fixture
async def line(
    backend: str, rest: TwilioRest, make_client: AppFactory, make_settings: Callable[..., Settings]
) -> AsyncIterator[TestClient[Any, Any]]:
    settings = make_settings(
        **rest.settings(), callback_max_attempts=2, callback_retry_delay_seconds=DELAY_SECONDS
    )
    await seed_before_start(settings)
    yield await make_client(settings)
    await close_all()


async def refused(line: TestClient[Any, Any], rest: TwilioRest, count: int) -> VoiceCallback:
    """The callback once the line has settled the `count`-th creation Twilio refused."""
    async with asyncio.timeout(10):
        while True:
            _, callback, _, _ = await snapshot(line)
            if len(rest.refused) >= count and callback.status != "pending":
                return callback
            await asyncio.sleep(0.1)


async def test_a_callback_twilio_refuses_to_place_is_retried_after_the_delay_like_an_unanswered_one(
    line: TestClient[Any, Any], rest: TwilioRest, clock: FakeClock
) -> None:
    await ask_for_callback(line)
    _, _, first_item, _ = await snapshot(line)
    peer, agent = await official(line, AGENT)
    assert (await peer.call("presence", {"presence": "available"}))["ok"]
    rest.refusals.append(GEO_REFUSAL)  # Twilio answers the first Calls.json with HTTP 400
    offer = await peer.next("offer", wait=10)
    assert (await peer.call("accept", {"offer_id": offer["offer_id"]})).get("ok")

    # Attempt 1 is refused: spent like an unanswered call, parked at the citizen's place.
    callback = await refused(line, rest, 1)
    assert (callback.status, callback.attempts, callback.official_id) == ("retry", 1, None)
    assert rest.refused[0]["To"] == CALLER and rest.created == []
    call, _, item, events = await snapshot(line)
    assert (item.status, item.official_id, item.distributor) == ("waiting", None, "callback")
    assert item.enqueued_at == first_item.enqueued_at
    assert call.state == "queued" and call.ended_at is None
    [refusal] = [e.data for e in events if e.kind == "callback_dial_refused"]
    assert (refusal["attempt"], refusal["outcome"]) == (1, "dial-refused")
    assert "Account not authorized to call" in refusal["error"]

    # Not dialled again on the next rounds (every 2 s), nor offered, until the delay has passed.
    clock.advance(seconds=DELAY_SECONDS - 60)
    with pytest.raises(TimeoutError):
        await peer.next("offer", wait=3)
    assert len(rest.refused) == 1 and rest.created == []
    clock.advance(seconds=61)
    offer = await peer.next("offer", wait=10)
    assert offer["conversation_id"] == call.id
    assert (await peer.call("accept", {"offer_id": offer["offer_id"]})).get("ok")

    # Attempt 2 is placed and not answered: the last of 2 attempts, the refusal counted.
    second = await placed(rest, 1)
    _, callback, _, _ = await snapshot(line)
    assert (callback.status, callback.attempts, callback.official_id) == ("dialing", 2, agent)
    await status(line, second, "no-answer")
    call, callback, item, events = await snapshot(line)
    assert (callback.status, callback.attempts) == ("failed", 2)
    assert (call.state, call.wrap_up_code) == ("abandoned", "devolucion_sin_respuesta")
    assert item.status == "abandoned"
    spent = [(e.kind, e.data["attempt"], e.data["outcome"]) for e in events if "attempt" in e.data]
    assert spent == [("callback_dial_refused", 1, "dial-refused"), ("callback_not_answered", 2, "no-answer")]
    closed = [e.data for e in events if e.kind == "callback_closed"]
    assert closed == [{"attempts": 2, "outcome": "no-answer"}]
    await peer.close()


async def test_a_callback_twilio_refuses_every_time_is_closed_after_the_last_attempt(
    line: TestClient[Any, Any], rest: TwilioRest, clock: FakeClock
) -> None:
    await ask_for_callback(line)
    peer, _ = await official(line, AGENT)
    assert (await peer.call("presence", {"presence": "available"}))["ok"]
    rest.refusals.extend([GEO_REFUSAL, GEO_REFUSAL, GEO_REFUSAL])
    for attempt in (1, 2):
        if attempt == 2:
            clock.advance(seconds=DELAY_SECONDS + 1)
        offer = await peer.next("offer", wait=10)
        assert (await peer.call("accept", {"offer_id": offer["offer_id"]})).get("ok")
        callback = await refused(line, rest, attempt)
    assert (callback.status, callback.attempts) == ("failed", 2)
    call, _, item, events = await snapshot(line)
    assert (call.state, call.wrap_up_code) == ("abandoned", "devolucion_sin_respuesta")
    assert item.status == "abandoned"
    assert [e.data["attempt"] for e in events if e.kind == "callback_dial_refused"] == [1, 2]
    closed = [e.data for e in events if e.kind == "callback_closed"]
    assert closed == [{"attempts": 2, "outcome": "dial-refused"}]
    supervisor = {"Authorization": f"Bearer {await login(line, 'supervisor@demo.pasto.gov.co')}"}
    resp = await line.get("/api/v1/stats/queues", headers=supervisor)
    queue = next(q for q in (await resp.json())["queues"] if q["code"] == QUEUE)
    assert queue["abandoned"] == 1

    clock.advance(seconds=DELAY_SECONDS * 3)  # the third refusal stays unused: nothing is dialled
    await asyncio.sleep(2.5)
    assert len(rest.refused) == 2 and rest.created == []
    await peer.close()
