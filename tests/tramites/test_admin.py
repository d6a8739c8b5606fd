"""Administration through the API: drafts, publication, versions, what was shown on a date, audit,
and who may change what."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from contact_center.core.clock import FakeClock
from tests.conftest import login

Client = TestClient[Any, Any]


def record(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "Permiso de ocupación de vía",
        "also_known_as": ["cierre de calle"],
        "dependencia": "transito",
        "purpose": "Cerrar temporalmente una vía para una obra o un evento.",
        "online": False,
        "voice_summary": "Permiso de ocupación de vía. Requisitos por confirmar con la dependencia.",
        "chat_answer": "Para cerrar una vía pida el permiso de ocupación de vía a Tránsito.",
        "status": "draft",
    }
    return base | overrides


async def auth(client: Client, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {await login(client, who)}"}


async def test_draft_publish_edit_versions_and_as_of(seeded: Client, backend: str, clock: FakeClock) -> None:
    admin = await auth(seeded, "admin@demo.pasto.gov.co")
    created = await seeded.post("/api/v1/tramites", json=record(), headers=admin)
    assert created.status == 201, await created.text()
    assert await created.json() == {"slug": "permiso-de-ocupacion-de-via", "status": "draft", "version": 1}
    slug = "permiso-de-ocupacion-de-via"

    # A draft is not public: not in the list, not readable.
    assert (await seeded.get(f"/api/v1/tramites/{slug}")).status == 404
    assert (await (await seeded.get("/api/v1/tramites", params={"q": "ocupacion via"})).json())["total"] == 0

    published = await seeded.post(f"/api/v1/tramites/{slug}/publish", json={}, headers=admin)
    assert published.status == 200, await published.text()
    first_at = clock.now()
    detail = await seeded.get(f"/api/v1/tramites/{slug}")
    assert detail.status == 200
    etag = detail.headers["ETag"]
    assert (await detail.json())["version"] == 1
    again = await seeded.get(f"/api/v1/tramites/{slug}", headers={"If-None-Match": etag})
    assert again.status == 304
    found = await (await seeded.get("/api/v1/tramites", params={"q": "cierre de calles"})).json()
    assert [i["slug"] for i in found["items"]] == [slug]

    # Editing makes a new draft version; the published one is still what the public sees.
    clock.advance(days=3)
    admin = await auth(seeded, "admin@demo.pasto.gov.co")  # the first session has expired
    no_reason = await seeded.put(f"/api/v1/tramites/{slug}", json=record(), headers=admin)
    assert no_reason.status == 400
    assert (await no_reason.json())["error"]["code"] == "reason_required"
    edited = await seeded.put(
        f"/api/v1/tramites/{slug}",
        json=record(
            purpose="Cerrar una vía pública por una obra, una mudanza o un evento.", reason="Oficio 12"
        ),
        headers=admin,
    )
    assert (await edited.json())["version"] == 2
    assert (await (await seeded.get(f"/api/v1/tramites/{slug}")).json())["version"] == 1
    await seeded.post(f"/api/v1/tramites/{slug}/publish", json={"reason": "Aprobado"}, headers=admin)
    now = await seeded.get(f"/api/v1/tramites/{slug}", headers={"If-None-Match": etag})
    assert now.status == 200 and now.headers["ETag"] != etag
    assert (await now.json())["purpose"].startswith("Cerrar una vía pública")

    # What a citizen was shown on a date.
    then = await seeded.get(
        f"/api/v1/tramites/{slug}", params={"as_of": (first_at + timedelta(hours=1)).isoformat()}
    )
    body = await then.json()
    assert (body["version"], body["purpose"]) == (
        1,
        "Cerrar temporalmente una vía para una obra o un evento.",
    )
    before = await seeded.get(
        f"/api/v1/tramites/{slug}", params={"as_of": (first_at - timedelta(days=1)).isoformat()}
    )
    assert before.status == 404

    versions = await (await seeded.get(f"/api/v1/tramites/{slug}/versions", headers=admin)).json()
    assert [(v["number"], v["status"]) for v in versions["versions"]] == [(1, "superseded"), (2, "published")]
    assert [(a["action"], a["reason"], a["via"]) for a in versions["audit"]] == [
        ("created", "Creación del trámite", "api"),
        ("published", "Publicación", "api"),
        ("edited", "Oficio 12", "api"),
        ("published", "Aprobado", "api"),
    ]
    assert all(a["official_id"] is not None for a in versions["audit"])

    archived = await seeded.post(
        f"/api/v1/tramites/{slug}/archive", json={"reason": "Ya no se presta"}, headers=admin
    )
    assert (await archived.json())["status"] == "archived"
    assert (await seeded.get(f"/api/v1/tramites/{slug}")).status == 404
    assert (await (await seeded.get("/api/v1/tramites", params={"q": "cierre de calle"})).json())[
        "total"
    ] == 0


async def test_supervisor_changes_only_their_dependencia(seeded: Client, backend: str) -> None:
    # The demo supervisor belongs to atencion_ciudadano.
    sup = await auth(seeded, "supervisor@demo.pasto.gov.co")
    other = await seeded.post("/api/v1/tramites", json=record(), headers=sup)
    assert other.status == 403
    assert (await other.json())["error"]["code"] == "not_tramite_owner"
    own = await seeded.post("/api/v1/tramites", json=record(dependencia="atencion_ciudadano"), headers=sup)
    assert own.status == 201
    foreign = await seeded.post("/api/v1/tramites/licencia-de-conduccion/publish", json={}, headers=sup)
    assert foreign.status == 403
    agent = await auth(seeded, "agente1@demo.pasto.gov.co")
    assert (await seeded.post("/api/v1/tramites", json=record(), headers=agent)).status == 403
    seeded.session.cookie_jar.clear()  # the logins above left session cookies
    assert (await seeded.post("/api/v1/tramites", json=record())).status == 401


async def test_invalid_records_are_400_and_duplicates_409(seeded: Client, backend: str) -> None:
    admin = await auth(seeded, "admin@demo.pasto.gov.co")
    bad = await seeded.post("/api/v1/tramites", json=record(life_situations=["marte"]), headers=admin)
    assert bad.status == 400
    assert "situación de vida" in (await bad.json())["error"]["message"]
    unknown = await seeded.post("/api/v1/tramites", json=record(dependencia="nasa"), headers=admin)
    assert (await unknown.json())["error"]["code"] == "unknown_dependencia"
    dup = await seeded.post("/api/v1/tramites", json=record(slug="impuesto-predial"), headers=admin)
    assert dup.status == 409
    nothing = await seeded.post("/api/v1/tramites/impuesto-predial/publish", json={}, headers=admin)
    assert nothing.status == 409


async def test_routes_are_in_the_openapi_document(client: Client, backend: str) -> None:
    doc = await (await client.get("/api/v1/openapi.json")).json()
    assert "/api/v1/tramites" in doc["paths"]
    assert {"get", "post"} <= set(doc["paths"]["/api/v1/tramites"])
    assert "/api/v1/tramites/{slug}/publish" in doc["paths"]
    assert "/api/v1/reports/tramites" in doc["paths"]
