"""PQRD tickets become routing work items in the right queue (through the public filing API)."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from tests.conftest import login
from tests.integration.router_support import parts

FILING = {
    "type": "peticion",
    "subject": "Hueco en la calle 18",
    "description": "Hay un hueco grande frente al parque Nariño.",
    "citizen": {"name": "Ana Pérez", "document_type": "CC", "document_number": "1085000111"},
    "data_consent": True,
}


async def _waiting(client: TestClient[Any, Any]) -> dict[str, int]:
    sup = await login(client, "supervisor@demo.pasto.gov.co")
    resp = await client.get("/api/v1/stats/queues", headers={"Authorization": f"Bearer {sup}"})
    assert resp.status == 200
    return {q["code"]: q["waiting"] for q in (await resp.json())["queues"]}


async def test_a_pqrd_without_dependencia_waits_in_the_triage_queue(
    backend: str, seeded: TestClient[Any, Any]
) -> None:
    assert (await seeded.post("/api/v1/pqrd", json=FILING)).status == 201
    await parts(seeded).reload()
    waiting = await _waiting(seeded)
    assert waiting["pqrd_triage"] == 1
    assert waiting["atencion_general"] == 0


async def test_a_pqrd_for_a_secretaria_waits_in_its_queue(backend: str, seeded: TestClient[Any, Any]) -> None:
    resp = await seeded.post("/api/v1/pqrd", json={**FILING, "dependencia": "transito"})
    assert resp.status == 201
    await parts(seeded).reload()
    waiting = await _waiting(seeded)
    assert waiting["transito"] == 1 and waiting["pqrd_triage"] == 0
