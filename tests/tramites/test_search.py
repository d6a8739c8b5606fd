"""Spanish search over the demo catalogue on both engines, through GET /api/v1/tramites."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

Client = TestClient[Any, Any]


async def search(client: Client, q: str, **params: str) -> dict[str, Any]:
    resp = await client.get("/api/v1/tramites", params={"q": q, **params})
    assert resp.status == 200, await resp.text()
    body: dict[str, Any] = await resp.json()
    return body


def slugs(body: dict[str, Any]) -> list[str]:
    return [item["slug"] for item in body["items"]]


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("licencia conduccion", "licencia-de-conduccion"),  # no accent
        ("LICENCIA DE CONDUCCIÓN", "licencia-de-conduccion"),  # case and accent
        ("impuestos prediales", "impuesto-predial"),  # plurals
        ("sisben", "sisben-encuesta"),  # the name says SISBÉN
        ("licencia conducion", "licencia-de-conduccion"),  # a typo
        ("pase de conducir", "licencia-de-conduccion"),  # a synonym ("también conocido como")
        ("fotomultas", "consulta-y-pago-de-comparendos"),  # a synonym
        ("constancia de residencia", "certificado-de-residencia"),
        ("espectaculos publicos", "permiso-espectaculos-publicos"),
        ("uso del suelo", "concepto-de-uso-del-suelo"),
    ],
)
async def test_search_finds_the_right_tramite_first(
    seeded: Client, backend: str, query: str, first: str
) -> None:
    body = await search(seeded, query)
    assert body["total"] >= 1, (backend, query)
    assert slugs(body)[0] == first, (backend, query, slugs(body))


async def test_name_ranks_above_text(seeded: Client, backend: str) -> None:
    body = await search(seeded, "paz y salvo")
    assert slugs(body)[0] == "paz-y-salvo-predial"
    predial = await search(seeded, "predial")
    # "predial" is in both names; the one whose name is shorter and mentions it comes with it first.
    assert set(slugs(predial)[:2]) == {"impuesto-predial", "paz-y-salvo-predial"}


async def test_list_items_have_the_public_contract(seeded: Client, backend: str) -> None:
    body = await search(seeded, "")
    assert body["total"] == 20
    assert len(body["items"]) == 20
    item = body["items"][0]
    for key in ("slug", "name", "purpose", "dependencia", "online", "cost", "time_to_obtain"):
        assert key in item
    hacienda = await search(seeded, "", dependencia="hacienda")
    assert hacienda["total"] == 4
    assert all(i["dependencia"]["code"] == "hacienda" for i in hacienda["items"])
    dep_id = str(hacienda["items"][0]["dependencia"]["id"])
    assert (await search(seeded, "", dependencia=dep_id))["total"] == 4
    vehiculos = await search(seeded, "", situacion="vehiculos")
    assert set(slugs(vehiculos)) >= {"licencia-de-conduccion", "traspaso-de-vehiculo"}


async def test_nonsense_finds_nothing_and_is_logged_without_personal_data(
    seeded: Client, backend: str
) -> None:
    body = await search(seeded, "xyzzy cedula 1085123456", channel="portal")
    assert body == {"items": [], "total": 0, "page": 1, "page_size": 20}
    typing = await search(seeded, "qwrtp", channel="chat", typing="true")
    assert typing["total"] == 0
    from tests.conftest import login

    token = await login(seeded, "supervisor@demo.pasto.gov.co")
    resp = await seeded.get("/api/v1/reports/tramites", headers={"Authorization": f"Bearer {token}"})
    report = await resp.json()
    assert [(r["channel"], r["query"]) for r in report["no_result"]] == [("portal", "xyzzy cedula #")]


async def test_unknown_dependencia_is_a_400(seeded: Client, backend: str) -> None:
    resp = await seeded.get("/api/v1/tramites", params={"dependencia": "no-existe"})
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "unknown_dependencia"
