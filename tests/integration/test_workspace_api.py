"""The officials' workspace routes on both engines: the inbox views with counts, search by document
and scope by dependencia, the citizen card, the OpenAPI entries, and Spanish HTML error pages for
browsers while /api keeps JSON."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from tests.conftest import login

AGENT1, AGENT2 = "agente1@demo.pasto.gov.co", "agente2@demo.pasto.gov.co"  # triage / Salud
ROUTES = (
    "/api/v1/console/work",
    "/api/v1/console/directory",
    "/api/v1/console/inbox",
    "/api/v1/console/tickets/{radicado}/citizen",
)


async def _file(client: TestClient[Any, Any], subject: str, document: str) -> str:
    body = {
        "type": "peticion",
        "subject": subject,
        "description": "Solicito revisar el alumbrado del parque, apagado hace un mes.",
        "citizen": {"name": "Rosa Delgado", "document_type": "CC", "document_number": document},
        "anonymous": False,
        "data_consent": True,
        "notify_by_email": False,
    }
    resp = await client.post("/api/v1/pqrd", json=body)
    assert resp.status == 201, await resp.text()
    out = await resp.json()
    return str(out.get("radicado") or out["ticket"]["radicado"])


async def _get(client: TestClient[Any, Any], token: str, path: str) -> tuple[int, Any]:
    resp = await client.get(path, headers={"Authorization": f"Bearer {token}"})
    return resp.status, await resp.json()


async def test_inbox_views_search_scope_and_citizen_card(backend: str, seeded: TestClient[Any, Any]) -> None:
    first = await _file(seeded, "Alumbrado del parque", "1085777333")
    second = await _file(seeded, "Hueco en la calle 18", "1085777444")
    agent = await login(seeded, AGENT1)
    status, out = await _get(seeded, agent, "/api/v1/console/inbox?view=unassigned")
    assert status == 200 and out["counts"]["unassigned"] == 2 and out["counts"]["mine"] == 0
    assert all(t["days_left"] is not None and t["urgency"] == "ok" for t in out["tickets"])

    status, out = await _get(seeded, agent, "/api/v1/console/inbox?view=unassigned&q=1085777333")
    assert [t["radicado"] for t in out["tickets"]] == [first]  # by the citizen's document
    status, out = await _get(seeded, agent, "/api/v1/console/inbox?view=unassigned&q=CALLE%2018")
    assert [t["radicado"] for t in out["tickets"]] == [second]  # by text, any case
    status, out = await _get(seeded, agent, f"/api/v1/console/inbox?view=unassigned&q={first}")
    assert [t["radicado"] for t in out["tickets"]] == [first]  # by radicado

    resp = await seeded.post(
        f"/api/v1/tickets/{first}/assign", json={}, headers={"Authorization": f"Bearer {agent}"}
    )
    assert resp.status == 200
    status, out = await _get(seeded, agent, "/api/v1/console/inbox?view=mine")
    assert out["counts"] == {"mine": 1, "unassigned": 1, "waiting": 0, "due": 0}
    assert [t["radicado"] for t in out["tickets"]] == [first]

    status, card = await _get(seeded, agent, f"/api/v1/console/tickets/{first}/citizen")
    assert status == 200 and card["citizen"]["name"] == "Rosa Delgado"
    assert any("1085777333" in i["value"] for i in card["identities"])
    assert [t["radicado"] for t in card["tickets"]] == [first]

    other = await login(seeded, AGENT2)  # Salud: not their dependencia, not theirs
    status, out = await _get(seeded, other, "/api/v1/console/inbox?view=unassigned")
    assert out["counts"]["unassigned"] == 0
    status, body = await _get(seeded, other, f"/api/v1/console/tickets/{first}/citizen")
    assert status == 404 and body["error"]["code"] == "not_found"


async def test_directory_and_held_work(backend: str, seeded: TestClient[Any, Any]) -> None:
    agent = await login(seeded, AGENT1)
    status, out = await _get(seeded, agent, "/api/v1/console/directory")
    assert status == 200
    assert {"code": "atencion_general", "name": "Atención general"} in out["queues"]
    names = {o["name"]: o for o in out["officials"]}
    assert "Andrés Rosero" not in names  # not oneself
    assert names["María Fernanda Burbano"]["presence_label"] == "Desconectado"
    assert names["María Fernanda Burbano"]["free_chat"] == 3
    status, out = await _get(seeded, agent, "/api/v1/console/work")
    assert status == 200 and out == {"conversations": []}
    seeded.session.cookie_jar.clear()  # the login's session cookie
    resp = await seeded.get("/api/v1/console/work")
    assert resp.status == 401  # officials only


async def test_the_new_routes_are_in_the_openapi_document(client: TestClient[Any, Any]) -> None:
    paths = (await (await client.get("/api/v1/openapi.json")).json())["paths"]
    for route in ROUTES:
        assert "get" in paths[route], route


async def test_browsers_get_spanish_html_errors_and_the_api_keeps_json(client: TestClient[Any, Any]) -> None:
    html = await client.get("/no-existe", headers={"Accept": "text/html,application/xhtml+xml"})
    assert html.status == 404 and html.content_type == "text/html"
    text = await html.text()
    assert "Página no encontrada" in text and '<html lang="es-CO">' in text
    plain = await client.get("/no-existe", headers={"Accept": "application/json"})
    assert plain.status == 404 and (await plain.json())["error"]["code"]
    api = await client.get("/api/v1/no-existe", headers={"Accept": "text/html"})
    assert api.status == 404 and (await api.json())["error"]["code"]
