"""The 195 line on Twilio: signed webhooks walk the Línea 195 flow and answer TwiML."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from contact_center.core.config import Settings
from contact_center.core.db.models import Attachment, CallEvent, Conversation, Ticket
from contact_center.core.http.keys import UOW
from tests.conftest import AppFactory
from tests.integration import twilio_support
from tests.integration.twilio_support import (
    BASE,
    CALL_SID,
    call_params,
    post,
    said,
    step_of,
    twiml,
)

line = twilio_support.seeded_line()


async def file_pqrd(client: TestClient[Any, Any]) -> str:
    body = {
        "type": "peticion", "subject": "Hueco en la carrera 27", "description": "Hay un hueco grande.",
        "anonymous": True, "data_consent": False, "priority_flags": [],
    }  # fmt: skip
    resp = await client.post("/api/v1/pqrd", json=body)
    assert resp.status == 201, await resp.text()
    radicado: str = (await resp.json())["radicado"]
    return radicado


async def count(client: TestClient[Any, Any], model: Any) -> int:
    async with client.app[UOW]() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


async def test_incoming_call_greets_and_offers_the_main_menu(line: TestClient[Any, Any]) -> None:
    root = await twiml(line, "/channels/twilio/voice", call_params())
    assert "Línea 195" in said(root)
    gather = root.find("Gather")
    assert gather is not None and gather.get("numDigits") == "1"
    assert gather.get("action", "").startswith(f"{BASE}/channels/twilio/gather?step=")
    assert gather.get("language") == "es-MX"
    assert "estado de un radicado" in said(gather)
    say = gather.find("Say")
    assert say is not None and say.get("voice") == "Polly.Mia"


async def test_radicado_status_is_read_back_digit_by_digit(line: TestClient[Any, Any]) -> None:
    radicado = await file_pqrd(line)
    root = await twiml(line, "/channels/twilio/voice", call_params())
    menu = root.find("Gather")
    assert menu is not None
    root = await twiml(line, menu.get("action", ""), call_params(Digits="2"))
    ask = root.find("Gather")
    assert ask is not None and ask.get("finishOnKey") == "#" and ask.get("numDigits") is None
    root = await twiml(line, ask.get("action", ""), call_params(Digits=radicado + "#"))
    spoken = said(root)
    assert " ".join(radicado) in spoken
    assert "se encuentra radicado y pendiente de asignación" in spoken
    assert "La fecha límite de respuesta es el" in spoken and "de 2026" in spoken
    digits = root.find("Say/say-as")
    assert digits is not None and digits.get("interpret-as") == "digits"
    assert root.find("Gather") is not None  # back to the main menu: the line is open


async def test_unknown_radicado_asks_again(line: TestClient[Any, Any]) -> None:
    root = await twiml(line, "/channels/twilio/voice", call_params())
    root = await twiml(line, root.find("Gather").get("action", ""), call_params(Digits="2"))  # type: ignore[union-attr]
    root = await twiml(line, root.find("Gather").get("action", ""), call_params(Digits="2026999999#"))  # type: ignore[union-attr]
    assert "No encontramos ese número de radicado" in said(root)
    assert root.find("Gather") is not None


async def test_unsigned_and_wrongly_signed_requests_are_403_and_change_nothing(
    line: TestClient[Any, Any],
) -> None:
    resp = await post(line, "/channels/twilio/voice", call_params(), signed=False)
    assert resp.status == 403
    assert (await resp.json())["error"]["code"] == "invalid_twilio_signature"
    resp = await post(line, "/channels/twilio/voice", call_params(), token="not-the-token")
    assert resp.status == 403
    # Signed for other parameters than the ones sent: tampering is refused too.
    from tests.integration.twilio_support import signature

    headers = {"X-Twilio-Signature": signature(f"{BASE}/channels/twilio/voice", call_params())}
    resp = await line.post("/channels/twilio/voice", data=call_params(From="+573009999999"), headers=headers)
    assert resp.status == 403
    assert await count(line, Conversation) == 0


async def test_without_auth_token_every_webhook_is_refused(
    backend: str, make_client: AppFactory, make_settings: Callable[..., Settings]
) -> None:
    client = await make_client(make_settings(twilio_auth_token=None))
    resp = await post(client, "/channels/twilio/voice", call_params())
    assert resp.status == 403
    assert (await resp.json())["error"]["code"] == "twilio_not_configured"


async def test_replayed_gather_returns_the_same_twiml_and_changes_nothing(line: TestClient[Any, Any]) -> None:
    root = await twiml(line, "/channels/twilio/voice", call_params())
    action = root.find("Gather").get("action", "")  # type: ignore[union-attr]
    first = await post(line, action, call_params(Digits="1"))
    first_body = await first.text()
    again = await post(line, action, call_params(Digits="1"))
    assert await again.text() == first_body
    # The retried first webhook of the call is a replay too.
    replay = await post(line, "/channels/twilio/voice", call_params())
    assert await replay.text() == first_body
    async with line.app[UOW]() as uow:
        call = await uow.session.scalar(select(Conversation))
        assert call is not None and call.flow_state is not None
        assert call.flow_state["state"]["node"] == "menu_tramites"
        # Two events: the key, then the catalogue page the host answered (the generated trámites menu).
        assert call.flow_state["state"]["step"] == step_of(action) + 2


async def test_verbal_pqrd_is_filed_once_and_its_radicado_read_back(line: TestClient[Any, Any]) -> None:
    root = await twiml(line, "/channels/twilio/voice", call_params())
    root = await twiml(line, root.find("Gather").get("action", ""), call_params(Digits="3"))  # type: ignore[union-attr]
    root = await twiml(line, root.find("Gather").get("action", ""), call_params(Digits="2"))  # type: ignore[union-attr]
    record = root.find("Record")
    assert record is not None and record.get("maxLength") == "180" and record.get("finishOnKey") == "#"
    assert "política de tratamiento de datos" in said(root)
    params = call_params(RecordingUrl="https://api.twilio.com/2010-04-01/Accounts/AC0000/Recordings/RE1",
                         RecordingDuration="42", RecordingSid="RE1")  # fmt: skip
    first = await post(line, record.get("action", ""), params)
    body = await first.text()
    replay = await post(line, record.get("action", ""), params)
    assert await replay.text() == body
    async with line.app[UOW]() as uow:
        tickets = (await uow.session.scalars(select(Ticket))).all()
        assert len(tickets) == 1
        ticket = tickets[0]
        assert (ticket.channel, ticket.pqrd_type, ticket.clock["verbal"]) == ("voice", "queja", True)
        recording = await uow.session.scalar(select(Attachment).where(Attachment.ticket_id == ticket.id))
        assert recording is not None and recording.source_url == params["RecordingUrl"]
        call = await uow.session.scalar(select(Conversation))
        assert call is not None and call.ticket_id == ticket.id
        radicado = ticket.radicado
    assert " ".join(radicado) in body
    assert "quedó radicada con el número" in body
    # The recording status callback, replayed, is stored once.
    status = {**params, "RecordingStatus": "completed"}
    for _ in range(2):
        resp = await post(line, "/channels/twilio/recording", status)
        assert resp.status == 204
    assert await count(line, CallEvent) == 1


async def test_corruption_report_can_be_anonymous(line: TestClient[Any, Any]) -> None:
    root = await twiml(line, "/channels/twilio/voice", call_params())
    root = await twiml(line, root.find("Gather").get("action", ""), call_params(Digits="4"))  # type: ignore[union-attr]
    root = await twiml(line, root.find("Gather").get("action", ""), call_params(Digits="1"))  # type: ignore[union-attr]
    record = root.find("Record")
    assert record is not None
    params = call_params(RecordingUrl="https://example.test/RE2", RecordingDuration="30")
    await twiml(line, record.get("action", ""), params)
    async with line.app[UOW]() as uow:
        ticket = await uow.session.scalar(select(Ticket))
        assert ticket is not None
        assert (ticket.pqrd_type, ticket.anonymous, ticket.citizen_id) == ("denuncia", True, None)
        assert ticket.subject == "Denuncia de corrupción"


async def test_status_callback_for_an_unknown_call_is_204_and_changes_nothing(
    line: TestClient[Any, Any],
) -> None:
    resp = await post(line, "/channels/twilio/status", call_params("CAunknown", CallStatus="completed"))
    assert resp.status == 204
    assert await count(line, CallEvent) == 0 and await count(line, Conversation) == 0


async def test_hang_up_in_the_menu_closes_the_conversation(line: TestClient[Any, Any]) -> None:
    await twiml(line, "/channels/twilio/voice", call_params())
    resp = await post(line, "/channels/twilio/status", call_params(CallStatus="completed", CallDuration="9"))
    assert resp.status == 204
    async with line.app[UOW]() as uow:
        call = await uow.session.scalar(select(Conversation).where(Conversation.external_id == CALL_SID))
        assert call is not None and call.state == "closed" and call.ended_at is not None
        assert call.flow_state is not None and call.flow_state["state"]["finished"] is True


async def test_bad_step_is_a_400_with_a_json_error(line: TestClient[Any, Any]) -> None:
    await twiml(line, "/channels/twilio/voice", call_params())
    resp = await post(line, "/channels/twilio/gather?step=abc", call_params(Digits="1"))
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "invalid_step"
