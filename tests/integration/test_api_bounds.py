"""Numbers beyond what the database holds are bad input (4xx), never a driver error (5xx)."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from tests.conftest import login
from tests.integration.test_citizen_app import verified_citizen

HUGE = "3888987009374769434274562048"


async def test_ticket_list_refuses_offsets_and_ids_beyond_the_database(
    backend: str, seeded: TestClient[Any, Any]
) -> None:
    auth = {"Authorization": f"Bearer {await login(seeded, 'supervisor@demo.pasto.gov.co')}"}
    for query in (f"offset={HUGE}", f"assignee_id={HUGE}", "assignee_id=2147483648"):
        resp = await seeded.get(f"/api/v1/tickets?{query}", headers=auth)
        assert resp.status == 400, query
    assert (await seeded.get("/api/v1/tickets?offset=2147483647", headers=auth)).status == 200


async def test_routing_admin_refuses_an_official_id_beyond_the_database(
    backend: str, seeded: TestClient[Any, Any]
) -> None:
    auth = {"Authorization": f"Bearer {await login(seeded, 'admin@demo.pasto.gov.co')}"}
    body = {"skills": {}, "capacity": {}}
    resp = await seeded.put(f"/api/v1/routing/officials/{HUGE}", json=body, headers=auth)
    assert resp.status == 400


async def test_an_app_case_id_beyond_the_database_is_not_found(
    backend: str, seeded: TestClient[Any, Any]
) -> None:
    auth = await verified_citizen(seeded, "ana@example.org")
    resp = await seeded.get(f"/api/v1/app/cases/{HUGE}", headers=auth)
    assert resp.status == 404
