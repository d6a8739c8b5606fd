"""The running service: health, metrics, OpenAPI, errors, on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient


async def test_health_reports_database_ok_and_redis_disabled_without_redis_url(
    client: TestClient[Any, Any],
) -> None:
    resp = await client.get("/health")
    assert resp.status == 200
    assert await resp.json() == {"status": "ok", "database": "ok", "redis": "disabled"}


async def test_health_reports_redis_ok_when_redis_url_is_set(make_client: Any, make_settings: Any) -> None:
    from tests.support.services import REDIS_URL

    client = await make_client(make_settings(redis_url=REDIS_URL))
    resp = await client.get("/health")
    assert await resp.json() == {"status": "ok", "database": "ok", "redis": "ok"}


async def test_health_is_degraded_when_redis_is_unreachable(make_client: Any, make_settings: Any) -> None:
    client = await make_client(make_settings(redis_url="redis://127.0.0.1:1/0"))
    resp = await client.get("/health")
    assert resp.status == 503
    body = await resp.json()
    assert body["redis"] == "error" and body["status"] == "degraded"


async def test_metrics_are_prometheus_text_and_count_requests(client: TestClient[Any, Any]) -> None:
    await client.get("/health")
    resp = await client.get("/metrics")
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/plain")
    text = await resp.text()
    assert 'http_requests_total{method="GET",route="/health",status="200"} 1.0' in text


async def test_openapi_document_lists_declared_routes_with_schemas(
    client: TestClient[Any, Any],
) -> None:
    doc = await (await client.get("/api/v1/openapi.json")).json()
    assert doc["openapi"].startswith("3.1")
    login = doc["paths"]["/api/v1/auth/login"]["post"]
    schema_ref = login["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    name = schema_ref.rsplit("/", 1)[1]
    assert set(doc["components"]["schemas"][name]["required"]) == {"email", "password"}
    assert "401" in login["responses"]


async def test_unknown_route_is_a_json_404(client: TestClient[Any, Any]) -> None:
    resp = await client.get("/api/v1/nope")
    assert resp.status == 404
    assert (await resp.json())["error"]["code"] == "not_found"


async def test_wrong_method_is_a_json_405(client: TestClient[Any, Any]) -> None:
    resp = await client.delete("/health")
    assert resp.status == 405
    assert (await resp.json())["error"]["code"] == "method_not_allowed"


async def test_malformed_json_is_a_400_not_a_500(client: TestClient[Any, Any]) -> None:
    resp = await client.post(
        "/api/v1/auth/login", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "invalid_json"


async def test_wrong_types_are_a_400_validation_error(client: TestClient[Any, Any]) -> None:
    resp = await client.post("/api/v1/auth/login", json={"email": 5, "password": ["x"]})
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "validation_error"
