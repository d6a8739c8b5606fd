"""A new call's first webhook writes its row in one statement: the caller is recognised by their
phone identity, the flow's place is stored before the answer, and a retried webhook adds nothing."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from contact_center.core.clock import FakeClock
from contact_center.core.db.models import Citizen, CitizenIdentity, Conversation
from contact_center.core.http.keys import UOW
from tests.integration import twilio_support
from tests.integration.twilio_support import CALL_SID, CALLER, call_params, post, step_of, twiml

line = twilio_support.seeded_line()


async def known_caller(line: TestClient[Any, Any], clock: FakeClock) -> int:
    async with line.app[UOW]() as uow:
        citizen = Citizen(name="Rosa Chamorro", created_at=clock.now())
        uow.session.add(citizen)
        await uow.session.flush()
        uow.session.add(
            CitizenIdentity(
                citizen_id=citizen.id, kind="phone", value=CALLER, verified=True, created_at=clock.now()
            )
        )
        await uow.commit()
        return citizen.id


async def calls(line: TestClient[Any, Any]) -> list[Conversation]:
    async with line.app[UOW]() as uow:
        rows = (await uow.session.scalars(select(Conversation).where(Conversation.channel == "voice"))).all()
        uow.session.expunge_all()
        return list(rows)


async def test_a_known_caller_is_recognised_and_the_call_stored_once_before_the_answer(
    line: TestClient[Any, Any], clock: FakeClock
) -> None:
    citizen_id = await known_caller(line, clock)
    first = await post(line, "/channels/twilio/voice", call_params())
    assert first.status == 200
    body = await first.text()
    retried = await post(line, "/channels/twilio/voice", call_params())
    assert retried.status == 200 and await retried.text() == body  # same TwiML, nothing added
    [call] = await calls(line)
    assert (call.external_id, call.citizen_id, call.state) == (CALL_SID, citizen_id, "open")
    assert call.started_at == clock.now() and call.topic == "Línea 195 (twilio)"
    stored = call.flow_state or {}
    assert stored["provider"] == "twilio" and stored["state"]["variables"]["caller"] == CALLER
    # The stored place is the one the caller heard: the menu's Gather posts back with its step.
    root = await twiml(line, "/channels/twilio/voice", call_params())
    gather = root.find("Gather")
    assert gather is not None and step_of(gather.get("action", "")) == stored["state"]["step"]


async def test_an_unknown_or_withheld_number_starts_a_call_without_a_citizen(
    line: TestClient[Any, Any],
) -> None:
    citizens = await count_citizens(line)
    assert (await post(line, "/channels/twilio/voice", call_params(From="+573009999999"))).status == 200
    assert (await post(line, "/channels/twilio/voice", call_params("CA2", From="anonymous"))).status == 200
    assert (await post(line, "/channels/twilio/voice", call_params("CA3", From="client:kiosk"))).status == 200
    found = sorted((c.external_id, c.citizen_id) for c in await calls(line))
    assert found == [(CALL_SID, None), ("CA2", None), ("CA3", None)]
    assert await count_citizens(line) == citizens  # a call never creates a citizen


async def count_citizens(line: TestClient[Any, Any]) -> int:
    async with line.app[UOW]() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(Citizen)) or 0)
