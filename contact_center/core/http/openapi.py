"""The OpenAPI 3.1 document, generated from the declared routes' pydantic models."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from contact_center.core.http.api import ErrorBody, RouteSpec
from contact_center.core.http.multipart import MAX_FILES

_REF = "#/components/schemas/{model}"
_STATUS_TEXT = {
    200: "OK",
    201: "Creado",
    202: "Aceptado",
    204: "Sin contenido",
    400: "Datos no válidos",
    401: "No autenticado",
    403: "Sin permiso",
    404: "No encontrado",
    409: "Conflicto",
    413: "Demasiado grande",
    415: "Tipo no soportado",
    422: "No procesable",
    429: "Demasiadas solicitudes",
}


def build_document(all_specs: Iterable[RouteSpec], *, title: str, version: str) -> dict[str, Any]:
    specs = [s for s in all_specs if s.path.startswith("/api/v1")]
    models = _collect_models(specs)
    # Query models are in the same pass, so the enums and models their fields use land in
    # components/schemas, where the parameters' references point (`_parameters`).
    refs, defs = models_json_schema([(m, "validation") for m in models], ref_template=_REF)
    paths: dict[str, dict[str, Any]] = {}
    for spec in specs:
        path = re.sub(r"\{(\w+)(:[^}]*)?\}", r"{\1}", spec.path)
        paths.setdefault(path, {})[spec.method.lower()] = _operation(spec, path, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _collect_models(specs: list[RouteSpec]) -> list[type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {"ErrorBody": ErrorBody}
    for spec in specs:
        for model in (spec.body, spec.query, *spec.responses.values()):
            if isinstance(model, type) and issubclass(model, BaseModel):
                found[model.__name__] = model
    return list(found.values())


def _ref(refs: dict[Any, Any], model: type[BaseModel]) -> dict[str, Any]:
    return dict(refs[(model, "validation")])


def _operation(spec: RouteSpec, path: str, refs: dict[Any, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": spec.summary,
        # The method and path: unique by construction (two handlers are both called `login`).
        "operationId": spec.method.lower() + re.sub(r"\W+", "_", path.removeprefix("/api/v1")).rstrip("_"),
        "tags": list(spec.tags),
        "parameters": _parameters(spec, path),
        "responses": _responses(spec, refs),
    }
    if spec.body is not None:
        content: dict[str, Any] = {}
        if spec.json_body:
            content["application/json"] = {"schema": _ref(refs, spec.body)}
        if spec.multipart:
            content["multipart/form-data"] = {"schema": _multipart_schema(spec.body)}
        op["requestBody"] = {"required": True, "content": content}
    if spec.role is not None:
        op["security"] = [{"bearer": []}]
    return op


def _parameters(spec: RouteSpec, path: str) -> list[dict[str, Any]]:
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"\{(\w+)\}", path)
    ]
    if spec.query is not None:
        schema = spec.query.model_json_schema(ref_template=_REF)
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": name in required, "schema": prop})
    if "idempotent" in spec.extra or spec.method == "POST":
        params.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "maxLength": 200},
            }
        )
    return params


def _responses(spec: RouteSpec, refs: dict[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for status, model in spec.responses.items():
        entry: dict[str, Any] = {"description": _STATUS_TEXT.get(status, str(status))}
        if isinstance(model, type):
            entry["content"] = {"application/json": {"schema": _ref(refs, model)}}
        elif isinstance(model, str):
            entry["content"] = {model: {"schema": {"type": "string"}}}
        out[str(status)] = entry
    for status in _error_statuses(spec):
        out.setdefault(
            str(status),
            {
                "description": _STATUS_TEXT[status],
                "content": {"application/json": {"schema": _ref(refs, ErrorBody)}},
            },
        )
    return out


def _error_statuses(spec: RouteSpec) -> list[int]:
    # Any request may be a 400 (web/safe_input checks every path and query); a JSON body, a 415.
    statuses = [400, 415] if (spec.body and spec.json_body) else [400]
    if spec.role is not None:
        statuses += [401, 403]
    return statuses


def _multipart_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The same fields as flat form fields (a nested model's as `parent.child`, lists as repeated
    fields), plus the `files` parts."""
    schema = model.model_json_schema()
    defs = schema.get("$defs", {})
    properties: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        target = _resolved(prop, defs)
        if target.get("type") == "object" and "properties" in target:
            for sub, sub_prop in target["properties"].items():
                properties[f"{name}.{sub}"] = _inlined(sub_prop, defs)
        else:
            properties[name] = _inlined(prop, defs)
    properties["files"] = {
        "type": "array",
        "maxItems": MAX_FILES,
        "items": {"type": "string", "contentMediaType": "application/octet-stream"},
    }
    required = [n for n in schema.get("required", []) if n in properties]
    return {"type": "object", "properties": properties, "required": required}


def _resolved(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """Follow a `$ref`, or the non-null branch of an optional (`anyOf [X, null]`)."""
    if "$ref" in node:
        return _resolved(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
    options = [o for o in node.get("anyOf", []) if o.get("type") != "null"]
    return _resolved(options[0], defs) if len(options) == 1 else node


def _inlined(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            return _inlined(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
        return {k: _inlined(v, defs) for k, v in node.items()}
    if isinstance(node, list):
        return [_inlined(v, defs) for v in node]
    return node
