"""Every documented `QueueResult` of the `<Enqueue>` action is handled on purpose, and the position
is announced every `announce_every` seconds however often Twilio fetches the wait URL."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from contact_center.core.db.routing_models import WorkItem
from contact_center.core.http.keys import UOW
from tests.integration import twilio_support
from tests.integration.twilio_support import CALL_SID, call_params, post, said, twiml
from tests.integration.twilio_walk import conversation, queued_call

line = twilio_support.seeded_line(reload_router=True)
RESULT = "/channels/twilio/queue-result"
WAIT = "/channels/twilio/queue-wait"


async def item_status(line: TestClient[Any, Any], conversation_id: int) -> str:
    async with line.app[UOW]() as uow:
        status = await uow.session.scalar(
            select(WorkItem.status).where(WorkItem.conversation_id == conversation_id)
        )
        assert status is not None
        return status


async def test_a_full_twilio_queue_tells_the_caller_and_ends_the_call(line: TestClient[Any, Any]) -> None:
    await queued_call(line)
    root = await twiml(line, RESULT, call_params(QueueResult="queue-full"))
    assert root.find("Hangup") is not None and "todas nuestras líneas están ocupadas" in said(root)
    assert root.find("Enqueue") is None  # not the last turn replayed
    call = await conversation(line)
    assert call.ended_at is not None and call.wrap_up_code == "cola_llena"
    assert await item_status(line, call.id) == "abandoned"  # no official will be offered a caller gone


async def test_an_enqueue_error_is_tried_once_more_then_the_call_ends(line: TestClient[Any, Any]) -> None:
    await queued_call(line)
    for result in ("error", "system-error"):
        root = await twiml(line, RESULT, call_params(QueueResult=result))
        if root.find("Hangup") is not None:
            break
        enqueue = root.find("Enqueue")
        assert enqueue is not None and enqueue.text == "atencion_general" and "Un momento" in said(root)
        assert (await conversation(line)).ended_at is None
    assert root.find("Hangup") is not None and "No fue posible atender su llamada" in said(root)
    call = await conversation(line)
    assert call.ended_at is not None and await item_status(line, call.id) == "abandoned"


async def test_bridged_redirected_and_hangup_results(line: TestClient[Any, Any]) -> None:
    await queued_call(line)
    root = await twiml(line, RESULT, call_params(QueueResult="redirected"))
    assert list(root) == []  # the call runs the document it was redirected to
    assert (await conversation(line)).ended_at is None
    root = await twiml(line, RESULT, call_params(QueueResult="bridged"))
    assert [verb.tag for verb in root] == ["Hangup"]
    await queued_call(line, "CA0000000000000000000000000000hang")
    root = await twiml(line, RESULT, call_params("CA0000000000000000000000000000hang", QueueResult="hangup"))
    assert list(root) == []
    call = await conversation(line, "CA0000000000000000000000000000hang")
    assert call.state == "abandoned"


async def test_the_position_is_announced_every_announce_every_seconds(line: TestClient[Any, Any]) -> None:
    await queued_call(line)  # the default flow's queue: announce_every 45
    heard = []
    for waited in (0, 12, 30, 46, 60, 80, 93):
        root = await twiml(line, WAIT, call_params(QueueTime=str(waited), QueuePosition="1"))
        heard.append((waited, "Su turno en la fila" in said(root)))
        assert root.find("Play") is not None  # hold music either way
    assert heard == [(0, True), (12, False), (30, False), (46, True), (60, False), (80, False), (93, True)]
    resp = await post(line, "/channels/twilio/status", call_params(CallSid=CALL_SID, CallStatus="completed"))
    assert resp.status == 204
