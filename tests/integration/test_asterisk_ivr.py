"""The Línea 195 flow over FastAGI reaches the same outcomes as on Twilio."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from channels.asterisk.agi import AgiServer
from channels.asterisk.config import AgiConfig
from channels.asterisk.ivr_runner import AsteriskIvr
from contact_center.core.config import Settings
from contact_center.core.db.models import Attachment, Conversation, Ticket
from contact_center.core.http.keys import UOW
from ivr.line import VOICE_LINE
from tests.conftest import AppFactory
from tests.integration import twilio_support
from tests.integration.agi_caller import Caller, call
from tests.integration.twilio_support import call_params, said, twiml

LINKEDID = "1795476145.0"


line = twilio_support.seeded_line()  # the same city and line as on Twilio


@pytest.fixture
async def agi_port(line: TestClient[Any, Any]) -> AsyncIterator[int]:
    ticks = itertools.count(step=20)  # every reading of the timer is 20 s later: a 20 s recording
    handler = AsteriskIvr(line.app[VOICE_LINE].host, line.app[UOW], timer=lambda: float(next(ticks)))
    server = AgiServer(AgiConfig(host="127.0.0.1", port=0, command_timeout=5.0), handler)
    await server.start()
    yield server.port
    await server.close()


async def file_pqrd(client: TestClient[Any, Any]) -> str:
    body = {"type": "reclamo", "subject": "Cobro doble del predial", "description": "Me cobraron dos veces.",
            "anonymous": True, "data_consent": False, "priority_flags": []}  # fmt: skip
    resp = await client.post("/api/v1/pqrd", json=body)
    assert resp.status == 201, await resp.text()
    radicado: str = (await resp.json())["radicado"]
    return radicado


async def settle(client: TestClient[Any, Any], external_id: str) -> tuple[str, bool]:
    """(state, flow finished) of the conversation once the AGI session's last turn is committed."""
    for _ in range(100):
        async with client.app[UOW]() as uow:
            found = await uow.session.scalar(
                select(Conversation).where(Conversation.external_id == external_id)
            )
            if found is not None and found.ended_at is not None:
                return found.state, bool((found.flow_state or {})["state"]["finished"])
        await asyncio.sleep(0.02)
    raise AssertionError("the call never ended")


async def test_radicado_status_reads_back_the_same_on_asterisk_and_twilio(
    line: TestClient[Any, Any], agi_port: int
) -> None:
    radicado = await file_pqrd(line)
    # The caller keys 2, then the radicado, listens, and hangs up at the menu that follows.
    caller = Caller(keys=["2", radicado + "#"], variables={"CHANNEL(linkedid)": LINKEDID})
    await call(agi_port, caller)
    assert caller.commands[0].startswith("GET VARIABLE") and caller.commands[1] == "ANSWER"
    # Read back interruptibly: a menu follows, and its keys may cut the reading short.
    assert [radicado, "0123456789*#"] in caller.args("SAY DIGITS")
    asterisk_heard = caller.spoken()
    assert "se encuentra radicado y pendiente de asignación" in asterisk_heard
    # The same keys on Twilio.
    root = await twiml(line, "/channels/twilio/voice", call_params())
    root = await twiml(line, root.find("Gather").get("action", ""), call_params(Digits="2"))  # type: ignore[union-attr]
    root = await twiml(line, root.find("Gather").get("action", ""), call_params(Digits=radicado + "#"))  # type: ignore[union-attr]
    twilio_heard = said(root)
    status = "se encuentra radicado y pendiente de asignación. La fecha límite de respuesta es el"
    assert status in asterisk_heard and status in twilio_heard
    due = twilio_heard.split(status)[1].split(".")[0]
    assert due.strip() and due in asterisk_heard  # the same due date, spoken the same way
    assert " ".join(radicado) in twilio_heard and " ".join(radicado) in asterisk_heard
    assert await settle(line, LINKEDID) == ("closed", True)


async def test_verbal_pqrd_on_asterisk_is_filed_with_its_recording_and_read_back(
    line: TestClient[Any, Any], agi_port: int
) -> None:
    caller = Caller(keys=["3", "1", "2"], variables={"CHANNEL(linkedid)": LINKEDID, "RECORD_STATUS": "DTMF"})
    await call(agi_port, caller)
    records = caller.args("EXEC Record")
    assert records and records[0][0].startswith("/var/spool/asterisk/recording/pasto195-")
    await settle(line, LINKEDID)
    async with line.app[UOW]() as uow:
        ticket = await uow.session.scalar(select(Ticket))
        assert ticket is not None and (ticket.channel, ticket.pqrd_type) == ("voice", "peticion")
        assert ticket.clock["verbal"] is True
        recording = await uow.session.scalar(select(Attachment))
        assert recording is not None and (recording.source_url or "").startswith("file:///var/spool/")
        radicado = ticket.radicado
    # Read back interruptibly: a menu follows, and its keys may cut the reading short.
    assert [radicado, "0123456789*#"] in caller.args("SAY DIGITS")
    assert "quedó radicada con el número" in caller.spoken()


async def test_caller_hanging_up_mid_menu_closes_the_conversation(
    line: TestClient[Any, Any], agi_port: int
) -> None:
    caller = Caller(keys=[], variables={"CHANNEL(linkedid)": LINKEDID})  # hangs up at the first menu
    await call(agi_port, caller)
    assert await settle(line, LINKEDID) == ("closed", True)


async def test_configured_app_starts_the_agi_server_and_the_ami_mirror(
    backend: str, make_client: AppFactory, make_settings: Callable[..., Settings]
) -> None:
    from channels.asterisk.install import ASTERISK
    from tests.asterisk_peer import AmiPeer

    async with AmiPeer() as peer:
        settings = make_settings(agi_port=0, ami_host="127.0.0.1", ami_port=peer.port,
                                 ami_username=peer.username, ami_secret=peer.secret)  # fmt: skip
        client = await make_client(settings)
        asterisk = client.app[ASTERISK]
        assert asterisk.agi is not None and asterisk.ami is not None and asterisk.mirror is not None
        await asterisk.ami.wait_connected(3.0)
        caller = Caller(keys=[], variables={"CHANNEL(linkedid)": LINKEDID})
        await call(asterisk.agi.port, caller)
        assert caller.commands[1] == "ANSWER"
        await peer.replay()
        await asyncio.sleep(0.1)
        await asterisk.ami.drained()
        await asterisk.mirror.flush()
        assert asterisk.mirror.stats.applied > 0
        await client.close()
