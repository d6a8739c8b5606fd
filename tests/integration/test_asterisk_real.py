"""The 195 line against a real Asterisk 22.9.0 (built by scripts/build-asterisk, configured from
channels/asterisk/samples/): calls are AMI-originated Local channels, keys are AMI PlayDTMF.

Each test names the finding of issue 15 it reproduces."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from channels.asterisk.install import ASTERISK
from channels.asterisk.prompts import spoken_text
from channels.voice import install_voice
from contact_center.app import default_installers
from contact_center.core.config import Settings
from contact_center.core.db.models import Attachment, Ticket
from contact_center.core.http.keys import UOW
from ivr.flow import DEFAULT_FLOWS_DIR
from ivr.models import VoiceCallback
from tests.conftest import AppFactory, login
from tests.integration.real_asterisk_support import (
    ami,
    answered,
    asterisk,
    asterisk_prefix,
    conversation,
    ended,
    eventually,
    hang_up_officials_phone,
    heard,
    ivr_leg,
    line,
    line_settings,
    prompt_playing,
    to_the_queue,
)
from tests.integration.test_twilio_call_control import AGENT, official
from tests.support.ami_driver import AmiDriver
from tests.support.chat_clients import close_all, seed_before_start
from tests.support.real_asterisk import TEST_SECRET, TEST_USER, RealAsterisk
from tests.support.server import ServerProcess

__all__ = ["ami", "asterisk", "asterisk_prefix", "line"]  # fixtures

SUPERVISOR = "supervisor@demo.pasto.gov.co"
MENU = "Para información de trámites, marque 1."


async def test_a_key_pressed_during_the_menu_prompt_chooses_the_option(
    line: TestClient[Any, Any], ami: AmiDriver
) -> None:
    """Findings 1, 3 and 4. The AMI mirror sees Newchannel before FastAGI starts and creates the
    conversation: the IVR must join it (it crashed with KeyError 'state'). The menu is spoken whole
    (Festival's arguments were cut at the first comma) and a key pressed while it plays is kept
    (it was read as the end of the argument list, then lost)."""
    caller = await ami.call()
    leg, linkedid = ivr_leg(caller), caller["Linkedid"]
    menu = await prompt_playing(ami, leg, MENU)
    assert spoken_text(menu).startswith(MENU) and spoken_text(menu).endswith("marque 0.")  # type: ignore[union-attr]
    call = await eventually(lambda: conversation(line, linkedid))
    assert call.flow_state["channel"] == leg  # the IVR took over the mirror's conversation
    await ami.press(caller["Channel"], "1")  # mid-prompt
    # The trámites menu, generated from the published catalogue (its first page of options).
    options = spoken_text(await prompt_playing(ami, leg, "Para "))
    assert options is not None and "marque 1." in options

    async def at_tramites() -> bool:
        found = await conversation(line, linkedid)
        return found is not None and found.flow_state["state"]["node"] == "menu_tramites"

    await eventually(at_tramites)
    assert not ami.named("QueueCallerJoin")  # nothing fell to the dialplan's fallback
    assert not [c for c in ami.named("AGIExecStart") if "Festival" in c.get("Command", "")]


async def test_waiting_callers_hear_their_position_inside_app_queue_and_keep_their_turn(
    line: TestClient[Any, Any], ami: AmiDriver, asterisk: RealAsterisk
) -> None:
    """Findings 5-8 and 10. Two callers wait for an official while app_queue announces their
    positions (every 2 s in the test queues.conf) over the `default` hold music; the first is
    answered first by `Local/official-N@agentes` (the sample [agentes] pattern must match
    official-3), talks, the official hangs up: the call ends closed, not in the fallback; each call
    is counted once, the second caller's hang-up is the only abandon."""
    first = await to_the_queue(ami, "3001111111")
    second = await to_the_queue(ami, "3002222222")  # behind the first
    a_leg, b_leg = ivr_leg(first), ivr_leg(second)
    await asyncio.sleep(3.5)  # announcements happen meanwhile, inside app_queue
    assert heard(asterisk, a_leg, "queue-youarenext") and heard(asterisk, b_leg, "queue-thereare")
    moh = ami.named("MusicOnHoldStart", lambda m: m.get("Channel") == a_leg)
    assert moh and moh[0].get("Class") == "default"
    assert len(ami.named("QueueCallerJoin", lambda m: m.get("Channel") in (a_leg, b_leg))) == 2
    assert not ami.named("QueueCallerAbandon")  # nobody left the queue to hear an announcement

    peer, agent = await official(line, AGENT)
    assert (await peer.call("presence", {"presence": "available"}))["ok"]
    connect = await ami.wait_for("AgentConnect", within=20)
    assert connect["Channel"] == a_leg and connect["Interface"] == f"Local/official-{agent}@agentes"
    assert (await answered(line, first["Linkedid"])).official_id == agent

    await hang_up_officials_phone(ami, agent)
    await ami.wait_for("Hangup", lambda m: m.get("Channel") == first["Channel"])

    assert (await ended(line, first["Linkedid"])).state == "closed"
    assert not heard(asterisk, a_leg, "tt-allbusy")  # Queue's return after the talk is no failure
    assert len(ami.named("QueueCallerJoin", lambda m: m.get("Channel") == a_leg)) == 1

    await ami.hang_up(second["Channel"])
    assert (await ended(line, second["Linkedid"])).state == "abandoned"
    token = await login(line, SUPERVISOR)
    resp = await line.get("/api/v1/stats/queues", headers={"Authorization": f"Bearer {token}"})
    general = next(q for q in (await resp.json())["queues"] if q["code"] == "atencion_general")
    assert (general["answered"], general["abandoned"], general["waiting"]) == (1, 1, 0)


async def test_when_the_ivr_cannot_run_the_call_reaches_the_samples_fallback_queue(
    asterisk: RealAsterisk, ami: AmiDriver
) -> None:
    """Finding 2. No FastAGI server on the sample's AGI_SERVER: the dialplan's fallback queue
    (FALLBACK_QUEUE) must be a real queue of queues.conf (it was `atencion-ciudadano`, no queue:
    "Unable to join queue", tt-allbusy, goodbye)."""
    caller = await ami.call()
    joined = await ami.wait_for("QueueCallerJoin", lambda m: m.get("Channel") == ivr_leg(caller))
    assert joined["Queue"] == "atencion_general"
    assert not heard(asterisk, ivr_leg(caller), "tt-allbusy")


async def test_hold_keeps_the_call_open_unhold_bridges_again_and_transfer_requeues(
    line: TestClient[Any, Any], ami: AmiDriver, asterisk: RealAsterisk
) -> None:
    """Finding 9. Hold redirects the caller to music (the official's leg ends with app_queue's
    bridge); the AGI ends but the record stays open, "off hold" dials the same official again and
    bridges, and a transfer puts the caller in another app_queue queue (it answered call_ended)."""
    caller = await to_the_queue(ami, "3003333333")
    leg = ivr_leg(caller)
    peer, agent = await official(line, AGENT)
    assert (await peer.call("presence", {"presence": "available"}))["ok"]
    await ami.wait_for("AgentConnect", lambda m: m.get("Channel") == leg, within=20)
    call = await answered(line, caller["Linkedid"])
    ids = {"conversation_id": call.id}

    since = len(ami.events)
    reply = await peer.call("call_hold", {**ids, "on": True})
    assert reply.get("ok"), reply
    moh = await ami.wait_for("MusicOnHoldStart", lambda m: m.get("Channel") == leg, since=since)
    assert moh["Class"] == "default"
    await asyncio.sleep(1)  # the AGI ended (res_agi sends HANGUP on the redirect): nothing closes
    held = await conversation(line, caller["Linkedid"])
    assert held is not None and held.ended_at is None and held.state == "active"

    since = len(ami.events)
    assert (await peer.call("call_hold", {**ids, "on": False}))["ok"]
    await ami.wait_for(
        "BridgeEnter",
        lambda m: m.get("Channel", "").startswith(f"Local/official-{agent}@agentes"),
        since=since,
    )

    since = len(ami.events)
    assert (await peer.call("call_transfer", {**ids, "to_queue_code": "transito"}))["ok"]
    joined = await ami.wait_for("QueueCallerJoin", lambda m: m.get("Channel") == leg, since=since)
    assert joined["Queue"] == "transito"
    moved = await conversation(line, caller["Linkedid"])
    assert moved is not None and moved.ended_at is None and moved.state == "queued"


async def test_serve_stops_within_5_seconds_on_sigterm_with_a_call_in_the_ivr(
    asterisk: RealAsterisk, ami: AmiDriver, tmp_path: Path
) -> None:
    """`contact-center serve` with the FastAGI server and the AMI link up and a caller in the IVR
    stops within 5 s of SIGTERM (it took about 20 s)."""
    env = {"DATA_DIR": str(tmp_path / "var"), "DATABASE_URL": "",
           "SECRET_KEY": "sigterm-test-key-of-at-least-32-bytes",
           "LOG_LEVEL": "WARNING", "AMI_HOST": "127.0.0.1", "AMI_PORT": str(asterisk.ports.ami),
           "AMI_USERNAME": "pasto195", "AMI_SECRET": "cambie-esta-clave", "AGI_HOST": "127.0.0.1",
           "AGI_PORT": str(asterisk.ports.agi)}  # fmt: skip
    server = ServerProcess(env, log_path=tmp_path / "serve.log").start()
    try:
        caller = await ami.call()  # the real clock: the welcome, then either menu
        await prompt_playing(ami, ivr_leg(caller), "Gracias por llamar")
        assert server.proc is not None
        started = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        await asyncio.to_thread(server.proc.wait, 30)
        took = time.monotonic() - started
    finally:
        server.kill()
    print(f"serve stopped {took:.2f} s after SIGTERM")
    assert took < 5.0, (took, (tmp_path / "serve.log").read_text()[-2000:])


@pytest.mark.parametrize("backend", ["sqlite"])  # the line's DB plays no part: one engine suffices
async def test_asterisk_restarted_mid_call_ends_that_call_and_the_line_works_again(
    line: TestClient[Any, Any], ami: AmiDriver, asterisk: RealAsterisk
) -> None:
    """Asterisk restarts while a caller is in the menu: the AGI session ends, the call is closed
    (not left open), the app's AMI link comes back by itself and the next call reaches the menu."""
    caller = await ami.call()
    await prompt_playing(ami, ivr_leg(caller), "Gracias por llamar")
    await asyncio.to_thread(asterisk.restart)
    started = time.monotonic()
    assert (await ended(line, caller["Linkedid"])).state == "closed"
    link = line.app[ASTERISK].ami
    await link.wait_connected(30.0)
    print(f"AMI link back {time.monotonic() - started:.1f} s after Asterisk's restart")
    again = await AmiDriver(asterisk.ports.ami, TEST_USER, TEST_SECRET).connect()
    try:
        second = await again.call("3005555555")
        await prompt_playing(again, ivr_leg(second), "Gracias por llamar")
    finally:
        await again.close()


@pytest.fixture
async def quick_offer_line(
    backend: str, asterisk: RealAsterisk, ami: AmiDriver, make_client: AppFactory,
    make_settings: Callable[..., Settings], tmp_path: Path,
) -> AsyncIterator[TestClient[Any, Any]]:  # fmt: skip
    """The line with the sample flow but the callback offered after 6 s instead of 90."""
    flows = tmp_path / "flows"
    flows.mkdir()
    text = (
        (DEFAULT_FLOWS_DIR / "linea195.yaml").read_text().replace("callback_after: 90", "callback_after: 6")
    )
    (flows / "linea195.yaml").write_text(text)
    installers = [i for i in default_installers() if i.__name__ != "_install_voice"]
    installers.append(lambda app: install_voice(app, flows))
    settings = line_settings(make_settings, asterisk)
    await seed_before_start(settings)
    client = await make_client(settings, installers=installers)
    await client.app[ASTERISK].ami.wait_connected(10.0)
    yield client
    await close_all()


# Both engines run the callback's router and mirror path in test_asterisk_call_control.py.
@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_caller_asks_for_a_callback_and_is_called_back_to_the_official(
    quick_offer_line: TestClient[Any, Any], ami: AmiDriver
) -> None:
    """Walk: queue, the callback offer (Queue's timeout), key 1 twice; the official accepts the
    router's offer, Asterisk originates the call to the citizen and bridges it to their phone."""
    line = quick_offer_line
    caller = await to_the_queue(ami, "3006666666")
    leg = ivr_leg(caller)
    # The position announcement precedes the offer in the same turn: its key is the offer's answer.
    await prompt_playing(ami, leg, "Su turno en la fila es el 1", within=30)
    await ami.press(caller["Channel"], "1")
    await prompt_playing(ami, leg, "Le devolveremos la llamada al número")
    await ami.press(caller["Channel"], "1")  # "if it is correct, press 1", said next
    await ami.wait_for("Hangup", lambda m: m.get("Channel") == caller["Channel"])
    call = await eventually(lambda: conversation(line, caller["Linkedid"]))
    assert call.flow_state.get("callback") is True

    peer, agent = await official(line, AGENT)
    assert (await peer.call("presence", {"presence": "available"}))["ok"]
    offer = await peer.next("offer", wait=20, where=lambda o: o["conversation_id"] == call.id)
    assert (await peer.call("accept", {"offer_id": offer["offer_id"]})).get("ok")
    response = await ami.wait_for(
        "OriginateResponse",
        lambda m: m.get("Channel", "").startswith("Local/3006666666@callbacks"),
        within=20,
    )
    assert response["Response"] == "Success"
    await ami.wait_for(
        "BridgeEnter", lambda m: m.get("Channel", "").startswith(f"Local/official-{agent}@agentes")
    )

    async def done() -> bool:
        async with line.app[UOW]() as uow:
            callback = await uow.session.scalar(
                select(VoiceCallback).where(VoiceCallback.conversation_id == call.id)
            )
            return callback is not None and callback.status == "done"

    await eventually(done)


# The same flow runs on both engines in test_asterisk_ivr.py (replayed AGI): here Asterisk's part.
@pytest.mark.parametrize("backend", ["postgres"])
async def test_radicado_status_then_a_verbal_pqrd_in_one_call(
    line: TestClient[Any, Any], ami: AmiDriver, tmp_path: Path
) -> None:
    """Walk: 2 and a radicado (its status read back with Asterisk's own Spanish digits), then 3, 1
    and a recorded petition (Record into ASTERISK_RECORDING_DIR, # to finish): filed as a verbal
    PQRD with its recording, the new radicado read back."""
    body = {"type": "reclamo", "subject": "Cobro doble del predial", "description": "Me cobraron dos veces.",
            "anonymous": True, "data_consent": False, "priority_flags": []}  # fmt: skip
    resp = await line.post("/api/v1/pqrd", json=body)
    assert resp.status == 201, await resp.text()
    radicado = (await resp.json())["radicado"]
    caller = await ami.call("3007777777")
    leg, phone = ivr_leg(caller), caller["Channel"]
    await prompt_playing(ami, leg, "Gracias por llamar")
    await ami.press(phone, "2")
    await prompt_playing(ami, leg, "Digite su número de radicado")
    await ami.press(phone, radicado + "#", gap=0.15)
    said = await ami.wait_for(
        "AGIExecStart", lambda m: m.get("Channel") == leg and "SAY DIGITS" in m["Command"]
    )
    assert f'"{radicado}"' in said["Command"]
    await prompt_playing(ami, leg, "se encuentra radicado y pendiente de asignación")
    await ami.press(phone, "3")  # the main menu follows in the same turn: no need to hear it again
    await prompt_playing(ami, leg, "Para una petición, marque 1")
    await ami.press(phone, "1")
    await ami.wait_for(
        "AGIExecStart", lambda m: m.get("Channel") == leg and "EXEC Record" in m["Command"], within=30
    )
    await asyncio.sleep(2)  # the caller speaks (their leg sends music), then keys # to finish
    await ami.press(phone, "#")
    await prompt_playing(ami, leg, "Su solicitud quedó radicada con el número", within=20)
    async with line.app[UOW]() as uow:
        ticket = await uow.session.scalar(select(Ticket).where(Ticket.channel == "voice"))
        assert ticket is not None and ticket.pqrd_type == "peticion" and ticket.clock["verbal"] is True
        url = await uow.session.scalar(select(Attachment.source_url).where(Attachment.ticket_id == ticket.id))
    assert url is not None
    path = Path(url.removeprefix("file://"))
    size = (await asyncio.to_thread(path.stat)).st_size
    assert path.parent == tmp_path / "recordings" and size > 8000  # audio, not a header alone
