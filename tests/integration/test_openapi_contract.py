"""Issue 14, finding 13: the OpenAPI document is complete and valid (checked by an OpenAPI
validator), and a 405 says which methods the route takes."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from openapi_spec_validator import validate


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        assert isinstance(node, dict) and part in node, f"{ref} does not resolve"
        node = node[part]
    return node


async def test_the_openapi_document_passes_an_openapi_validator(client: TestClient[Any, Any]) -> None:
    document = await (await client.get("/api/v1/openapi.json")).json()
    validate(document)  # raises on any error (OpenAPI 3.1 schema, references included)
    for ref in _refs(document):
        _resolve(document, ref)


async def test_query_parameters_of_tickets_and_reports_point_at_schemas_in_the_document(
    client: TestClient[Any, Any],
) -> None:
    document = await (await client.get("/api/v1/openapi.json")).json()
    for path in ("/api/v1/tickets", "/api/v1/reports/pqrd"):
        params = document["paths"][path]["get"]["parameters"]
        refs = [r for p in params for r in _refs(p["schema"])]
        assert refs, path
        assert all(r.startswith("#/components/schemas/") for r in refs), refs
        for ref in refs:
            _resolve(document, ref)


async def test_a_wrong_method_answers_405_with_allow(client: TestClient[Any, Any]) -> None:
    for method, path, allowed in (
        ("DELETE", "/health", {"GET"}),
        ("PUT", "/api/v1/tickets", {"GET"}),
        ("GET", "/api/v1/auth/login", {"POST"}),
        ("PATCH", "/api/v1/admin/closures", {"GET", "POST"}),
    ):
        resp = await client.request(method, path)
        assert resp.status == 405, (method, path)
        assert (await resp.json())["error"]["code"] == "method_not_allowed"
        assert allowed <= {m.strip() for m in resp.headers.get("Allow", "").split(",")}, (path, resp.headers)
