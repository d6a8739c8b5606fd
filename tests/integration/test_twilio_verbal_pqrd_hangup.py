"""A caller who hangs up while recording a verbal PQRD: Twilio may send the call's `completed`
status before the `<Record>` action, or never send the action at all. The PQRD is filed from the
recording status callback (or the late action), exactly once whichever arrives."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from contact_center.core.db.models import Attachment, Conversation, Ticket
from contact_center.core.http.keys import UOW
from tests.integration import twilio_support
from tests.integration.twilio_support import call_params, post, twiml

line = twilio_support.seeded_line()
RECORDING = "https://api.twilio.com/2010-04-01/Accounts/AC0000/Recordings/RE1"


async def recording_started(line: TestClient[Any, Any]) -> ET.Element:
    root = await twiml(line, "/channels/twilio/voice", call_params())
    root = await twiml(line, root.find("Gather").get("action", ""), call_params(Digits="3"))  # type: ignore[union-attr]
    root = await twiml(line, root.find("Gather").get("action", ""), call_params(Digits="1"))  # type: ignore[union-attr]
    record = root.find("Record")
    assert record is not None and "step=" in record.get("recordingStatusCallback", "")
    return record


async def filed(line: TestClient[Any, Any]) -> list[Ticket]:
    async with line.app[UOW]() as uow:
        tickets = list((await uow.session.scalars(select(Ticket))).all())
        uow.session.expunge_all()  # read as they are now, usable after the unit of work
        return tickets


async def test_the_status_first_then_the_recording_callback_files_the_pqrd_once(
    line: TestClient[Any, Any],
) -> None:
    record = await recording_started(line)
    params = call_params(RecordingUrl=RECORDING, RecordingDuration="37", RecordingSid="RE1")
    assert (await post(line, "/channels/twilio/status", call_params(CallStatus="completed"))).status == 204
    assert await filed(line) == []  # nothing to file yet: the recording is not there
    callback = {**params, "RecordingStatus": "completed"}
    for _ in range(2):  # replayed by Twilio: one PQRD
        resp = await post(line, record.get("recordingStatusCallback", ""), callback)
        assert resp.status == 204
    tickets = await filed(line)
    assert len(tickets) == 1 and tickets[0].pqrd_type == "peticion" and tickets[0].clock["verbal"] is True
    # The Record action arriving late files nothing more.
    assert (await post(line, record.get("action", ""), params)).status == 200
    assert len(await filed(line)) == 1
    async with line.app[UOW]() as uow:
        recording = await uow.session.scalar(select(Attachment).where(Attachment.ticket_id == tickets[0].id))
        assert recording is not None and recording.source_url == RECORDING
        call = await uow.session.scalar(select(Conversation))
        assert call is not None and call.ticket_id == tickets[0].id and call.ended_at is not None
        assert call.flow_state is not None and call.flow_state["state"]["finished"] is True


async def test_the_status_first_then_the_late_record_action_files_it_once(line: TestClient[Any, Any]) -> None:
    record = await recording_started(line)
    params = call_params(RecordingUrl=RECORDING, RecordingDuration="37", RecordingSid="RE1")
    assert (await post(line, "/channels/twilio/status", call_params(CallStatus="completed"))).status == 204
    assert (await post(line, record.get("action", ""), params)).status == 200
    resp = await post(
        line, record.get("recordingStatusCallback", ""), {**params, "RecordingStatus": "completed"}
    )
    assert resp.status == 204
    assert len(await filed(line)) == 1
