"""The public deadline endpoint answers with the legal clock, and refuses bad input with a clear 400."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.conftest import login

URL = "/api/v1/pqrd/deadline"


async def _deadline(client: TestClient[Any, Any], **params: str) -> tuple[int, Any]:
    resp = await client.get(URL, params=params)
    return resp.status, await resp.json()


@pytest.mark.parametrize(
    ("pqrd_type", "filed_at", "received_on", "term", "due"),
    [
        # Monday 10:00 in Bogotá; 8 December (Inmaculada Concepción) is not counted.
        ("peticion", "2026-11-23T10:00:00-05:00", "2026-11-23", 15, "2026-12-15"),
        ("peticion_documentos", "2026-11-23T10:00:00-05:00", "2026-11-23", 10, "2026-12-07"),
        ("consulta", "2026-11-23T10:00:00-05:00", "2026-11-23", 30, "2027-01-07"),
        # 23:30 on Friday in Bogotá is already Saturday in UTC: receipt is the Bogotá date.
        ("queja", "2026-11-28T04:30:00Z", "2026-11-27", 15, "2026-12-21"),
        # Filed on a Sunday: counts from its own date (no cut-off by default); day 1 is Monday.
        ("reclamo", "2026-11-29T09:00:00-05:00", "2026-11-29", 15, "2026-12-21"),
    ],
)
async def test_deadline_follows_the_legal_clock(
    backend: str,
    client: TestClient[Any, Any],
    pqrd_type: str,
    filed_at: str,
    received_on: str,
    term: int,
    due: str,
) -> None:
    status, body = await _deadline(client, type=pqrd_type, filed_at=filed_at)
    assert status == 200, body
    assert body == {
        "type": pqrd_type,
        "filed_at": body["filed_at"],
        "received_on": received_on,
        "term_days": term,
        "due_date": due,
    }
    assert body["filed_at"][:19] == filed_at[:19]


async def test_a_plus_sign_left_unencoded_in_the_query_still_reads_as_an_offset(
    client: TestClient[Any, Any],
) -> None:
    resp = await client.get(f"{URL}?type=peticion&filed_at=2026-11-23T20:00:00+05:00")
    body = await resp.json()
    assert resp.status == 200 and body["received_on"] == "2026-11-23"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"type": "tutela", "filed_at": "2026-11-23T10:00:00-05:00"}, "unknown_pqrd_type"),
        ({"type": "peticion", "filed_at": "ayer"}, "invalid_datetime"),
        ({"type": "peticion", "filed_at": "2026-11-23T10:00:00"}, "naive_datetime"),
        ({"type": "peticion", "filed_at": "1492-10-12T10:00:00-05:00"}, "datetime_out_of_range"),
        ({"type": "peticion"}, "validation_error"),
        ({"filed_at": "2026-11-23T10:00:00-05:00"}, "validation_error"),
    ],
)
async def test_bad_type_or_datetime_is_a_400_with_a_clear_code(
    client: TestClient[Any, Any], params: dict[str, str], code: str
) -> None:
    status, body = await _deadline(client, **params)
    assert status == 400
    assert body["error"]["code"] == code and body["error"]["message"]


async def test_an_administrators_term_and_closure_change_the_answer(
    backend: str, seeded: TestClient[Any, Any]
) -> None:
    admin = {"Authorization": f"Bearer {await login(seeded, 'admin@demo.pasto.gov.co')}"}
    put = await seeded.put("/api/v1/admin/pqrd-terms/queja", json={"term_days": 10}, headers=admin)
    assert put.status == 200, await put.text()
    add = await seeded.post(
        "/api/v1/admin/closures", json={"day": "2026-11-24", "reason": "Decreto 0123"}, headers=admin
    )
    assert add.status == 201, await add.text()
    status, body = await _deadline(seeded, type="queja", filed_at="2026-11-23T10:00:00-05:00")
    # 10 business days from the 23rd skipping the 24th (closure) and 8 December.
    assert status == 200 and (body["term_days"], body["due_date"]) == (10, "2026-12-09")


async def test_the_deadline_route_is_in_the_openapi_document_with_its_query(
    client: TestClient[Any, Any],
) -> None:
    doc = await (await client.get("/api/v1/openapi.json")).json()
    operation = doc["paths"]["/api/v1/pqrd/deadline"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"type", "filed_at"}
    assert {"200", "400"} <= set(operation["responses"])
