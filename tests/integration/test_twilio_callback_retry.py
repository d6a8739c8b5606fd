"""A Twilio callback the citizen does not answer is dialled again after the configured delay (on the
test's fake clock), keeping the citizen's place, and closed after the last attempt: signed status
callbacks in, Twilio's REST API (a local stand-in) out, the supervisors' queue figures checked."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from contact_center.domain.clock import FakeClock
from contact_center.persistence.models import CallEvent, Conversation
from contact_center.persistence.routing_models import WorkItem
from contact_center.persistence.voice_models import VoiceCallback
from contact_center.web.keys import UOW
from tests.conftest import login
from tests.integration import twilio_support
from tests.integration.test_twilio_call_control import AGENT, official
from tests.integration.test_twilio_callback import ask_for_callback
from tests.integration.twilio_support import CALL_SID, CALLER, TwilioRest, post

DELAY_SECONDS = 600
QUEUE = "atencion_general"  # the default flow's queue (ivr/flows/linea195.yaml)

rest = twilio_support.rest
line = twilio_support.rest_line(callback_max_attempts=2, callback_retry_delay_seconds=DELAY_SECONDS)


async def placed(rest: TwilioRest, count: int) -> dict[str, str]:
    """The `count`-th outgoing call the line created (the dialling round runs every 2 s)."""
    async with asyncio.timeout(10):
        while len(rest.created) < count:  # noqa: ASYNC110  (the app dials on its own timer)
            await asyncio.sleep(0.1)
    return rest.created[count - 1]


async def status(line: TestClient[Any, Any], call: dict[str, str], outcome: str) -> None:
    params = {"CallSid": call["sid"], "AccountSid": TwilioRest.ACCOUNT, "From": "+576027333195",
              "To": CALLER, "CallStatus": outcome}  # fmt: skip
    assert (await post(line, "/channels/twilio/callback-status", params)).status == 204


async def snapshot(
    line: TestClient[Any, Any],
) -> tuple[Conversation, VoiceCallback, WorkItem, list[CallEvent]]:
    async with line.app[UOW]() as uow:
        call = await uow.session.scalar(select(Conversation).where(Conversation.external_id == CALL_SID))
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
        return call, callback, item, list(events)


async def test_an_unanswered_callback_is_retried_after_the_delay_then_closed_for_supervisors(
    line: TestClient[Any, Any], rest: TwilioRest, clock: FakeClock
) -> None:
    await ask_for_callback(line)
    _, _, first_item, _ = await snapshot(line)
    peer, agent = await official(line, AGENT)
    assert (await peer.call("presence", {"presence": "available"}))["ok"]
    offer = await peer.next("offer", wait=10)
    assert (await peer.call("accept", {"offer_id": offer["offer_id"]})).get("ok")
    first = await placed(rest, 1)

    # Attempt 1 is not answered: the citizen keeps their place, parked until the delay passes.
    await status(line, first, "no-answer")
    await status(line, first, "no-answer")  # Twilio retries its callback: changes nothing
    call, callback, item, events = await snapshot(line)
    assert (callback.status, callback.attempts, callback.official_id) == ("retry", 1, None)
    assert (item.status, item.official_id, item.distributor) == ("waiting", None, "callback")
    assert item.enqueued_at == first_item.enqueued_at  # its original place in line
    assert call.state == "queued" and call.ended_at is None
    failed = [e for e in events if e.kind == "callback_not_answered"]
    assert [(e.data["attempt"], e.data["outcome"]) for e in failed] == [(1, "no-answer")]

    # Before the delay nobody is offered the call and nobody is dialled.
    clock.advance(seconds=DELAY_SECONDS - 60)
    with pytest.raises(TimeoutError):
        await peer.next("offer", wait=3)
    assert len(rest.created) == 1

    # After it, the router offers the callback again and the line dials the citizen a second time.
    clock.advance(seconds=61)
    offer = await peer.next("offer", wait=10)
    assert offer["conversation_id"] == call.id
    assert (await peer.call("accept", {"offer_id": offer["offer_id"]})).get("ok")
    second = await placed(rest, 2)
    assert second["To"] == CALLER and second["sid"] != first["sid"]
    _, callback, _, _ = await snapshot(line)
    assert (callback.status, callback.attempts, callback.official_id) == ("dialing", 2, agent)

    # The last attempt is busy: the callback is closed, with its outcome, and counted as abandoned.
    await status(line, second, "busy")
    call, callback, item, events = await snapshot(line)
    assert callback.status == "failed" and callback.attempts == 2
    assert (call.state, call.wrap_up_code) == ("abandoned", "devolucion_sin_respuesta")
    assert call.ended_at is not None
    assert item.status == "abandoned"
    attempts = [(e.data["attempt"], e.data["outcome"]) for e in events if e.kind == "callback_not_answered"]
    assert attempts == [(1, "no-answer"), (2, "busy")]
    closed = [e.data for e in events if e.kind == "callback_closed"]
    assert closed == [{"attempts": 2, "outcome": "busy"}]
    supervisor = {"Authorization": f"Bearer {await login(line, 'supervisor@demo.pasto.gov.co')}"}
    resp = await line.get("/api/v1/stats/queues", headers=supervisor)
    assert resp.status == 200
    queue = next(q for q in (await resp.json())["queues"] if q["code"] == QUEUE)
    assert queue["abandoned"] == 1

    # Nothing is dialled again, however long the line waits.
    clock.advance(seconds=DELAY_SECONDS * 3)
    await asyncio.sleep(2.5)
    assert len(rest.created) == 2
    await peer.close()
