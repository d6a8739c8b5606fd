"""`/portal/tramites` and `/portal/tramites/{slug}`: server-rendered search, browsing, the record
and "¿Le fue útil?" without JavaScript."""

from __future__ import annotations

import re
from typing import Any

from aiohttp.test_utils import TestClient

from tests.conftest import login

Client = TestClient[Any, Any]


async def page(client: Client, path: str, **params: str) -> str:
    resp = await client.get(path, params=params)
    assert resp.status == 200, resp.status
    assert resp.content_type == "text/html"
    return await resp.text()


async def test_search_and_browse(seeded: Client, backend: str) -> None:
    html = await page(seeded, "/portal/tramites", q="licencia conduccion")
    assert 'href="/portal/tramites/licencia-de-conduccion"' in html
    assert "resultado" in html
    by_dep = await page(seeded, "/portal/tramites", dependencia="transito")
    assert by_dep.count('<li>\n      <h3><a href="/portal/tramites/') == 4
    by_situation = await page(seeded, "/portal/tramites", situacion="salud")
    assert "sisben-encuesta" in by_situation and "licencia-de-conduccion" not in by_situation
    nothing = await page(seeded, "/portal/tramites", q="zzzzqqq")
    assert 'id="sin-resultados"' in nothing
    all_pages = await page(seeded, "/portal/tramites")
    assert "20 trámites" in all_pages
    assert "Secretaría de Planeación Municipal" in all_pages  # browse by dependencia


async def test_detail_feedback_and_report(seeded: Client, backend: str) -> None:
    html = await page(seeded, "/portal/tramites/licencia-de-conduccion")
    assert "<h1>Licencia de conducción</h1>" in html
    assert "Ley 769 de 2002" in html
    assert "geo:1.2144,-77.2811" in html  # coordinates with a link, no tile server
    assert "por confirmar con la dependencia" in html
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token is not None
    refused = await seeded.post("/portal/tramites/licencia-de-conduccion/util", data={"util": "no"})
    assert refused.status == 403
    resp = await seeded.post(
        "/portal/tramites/licencia-de-conduccion/util",
        data={"util": "no", "csrf_token": token.group(1)},
        allow_redirects=False,
    )
    assert resp.status == 303
    assert resp.headers["Location"] == "/portal/tramites/licencia-de-conduccion?gracias=1#util"
    thanks = await page(seeded, "/portal/tramites/licencia-de-conduccion", gracias="1")
    assert "Gracias por su respuesta." in thanks
    missing = await seeded.get("/portal/tramites/no-existe")
    assert missing.status == 404

    auth = {"Authorization": f"Bearer {await login(seeded, 'supervisor@demo.pasto.gov.co')}"}
    report = await (
        await seeded.get("/api/v1/reports/tramites", params={"month": "2026-11"}, headers=auth)
    ).json()
    assert {"month": "2026-11", "channel": "portal", "slug": "licencia-de-conduccion", "count": 2} in report[
        "consulted"
    ]
    assert report["unhelpful"] == [
        {
            "month": "2026-11",
            "channel": "portal",
            "slug": "licencia-de-conduccion",
            "not_useful": 1,
            "useful": 0,
        }
    ]
    csv_resp = await seeded.get(
        "/api/v1/reports/tramites", params={"format": "csv", "table": "unhelpful"}, headers=auth
    )
    assert csv_resp.content_type == "text/csv"
    body = (await csv_resp.read()).decode("utf-8-sig")
    assert body.splitlines() == [
        "month;channel;slug;not_useful;useful",
        "2026-11;portal;licencia-de-conduccion;1;0",
    ]
    empty = await (
        await seeded.get("/api/v1/reports/tramites", params={"month": "2026-10"}, headers=auth)
    ).json()
    assert empty == {"consulted": [], "no_result": [], "unhelpful": [], "resolved": []}
