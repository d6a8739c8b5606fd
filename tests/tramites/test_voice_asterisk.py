"""The generated trámites menu over Asterisk FastAGI (the real AGI runner and server, a simulated
Asterisk channel keying the caller's digits), and a trámite published while the line runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from channels.asterisk.agi import AgiServer
from channels.asterisk.config import AgiConfig
from channels.asterisk.ivr_runner import AsteriskIvr
from contact_center.core.http.keys import UOW
from ivr.line import VOICE_LINE
from tests.conftest import login
from tests.integration import twilio_support
from tests.integration.agi_caller import Caller, call

LINKEDID = "1795476145.0"
line = twilio_support.seeded_line()


@pytest.fixture
async def agi_port(line: TestClient[Any, Any]) -> AsyncIterator[int]:
    handler = AsteriskIvr(line.app[VOICE_LINE].host, line.app[UOW])
    server = AgiServer(AgiConfig(host="127.0.0.1", port=0, command_timeout=5.0), handler)
    await server.start()
    yield server.port
    await server.close()


async def test_menu_summary_and_a_new_trámite_on_asterisk(line: TestClient[Any, Any], agi_port: int) -> None:
    for _ in range(2):
        assert (await line.get("/api/v1/tramites/consulta-y-pago-de-comparendos")).status == 200
    # Keys: 1 (trámites), 1 (the most consulted), then hangs up at the options after the summary.
    caller = Caller(keys=["1", "1"], variables={"CHANNEL(linkedid)": LINKEDID})
    await call(agi_port, caller, uniqueid="1795476145.1")
    heard = caller.spoken()
    assert "Para Consulta y pago de comparendos, marque 1." in heard
    assert "Consulta y pago de comparendos. Consultar los comparendos" in heard

    admin = {"Authorization": f"Bearer {await login(line, 'admin@demo.pasto.gov.co')}"}
    new = {
        "name": "Registro de vendedores informales",
        "dependencia": "gobierno",
        "purpose": "Inscribirse en el registro de vendedores del espacio público.",
        "voice_summary": "Registro de vendedores informales. Requisitos por confirmar con la dependencia.",
        "chat_answer": "El registro de vendedores informales lo lleva la Secretaría de Gobierno.",
    }
    assert (await line.post("/api/v1/tramites", json=new, headers=admin)).status == 201
    slug = "registro-de-vendedores-informales"
    assert (await line.post(f"/api/v1/tramites/{slug}/publish", json={}, headers=admin)).status == 200
    for _ in range(5):  # comparendos has 3 consults now (2 in the app, 1 on the phone)
        assert (await line.get(f"/api/v1/tramites/{slug}")).status == 200

    second = Caller(keys=["1", "1"], variables={"CHANNEL(linkedid)": "1795476146.0"})
    await call(agi_port, second, uniqueid="1795476146.1")
    heard = second.spoken()
    assert "Para Registro de vendedores informales, marque 1." in heard
    assert "Registro de vendedores informales. Requisitos por confirmar" in heard
