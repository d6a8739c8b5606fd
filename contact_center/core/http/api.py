"""Declared API routes: each route names its input and output models, and the OpenAPI document is
generated from those declarations (`contact_center.core.http.openapi`), never written by hand.

    routes = ApiRoutes()

    @routes.post("/api/v1/auth/login", body=LoginIn, responses={200: LoginOut}, tags=["auth"])
    async def login(request: web.Request, body: LoginIn) -> web.Response: ...
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from aiohttp import web
from aiohttp.hdrs import CONTENT_TYPE
from pydantic import BaseModel, Field, ValidationError

from contact_center.core.errors import InvalidInput
from contact_center.core.http import safe_input
from contact_center.core.http.principals import require_principal
from contact_center.core.http.safe_input import UnsupportedMediaType
from contact_center.core.officials import Role

Handler = Callable[..., Awaitable[web.StreamResponse]]
"""Any handler; route handlers take the request plus the validated inputs as keyword arguments."""
M = TypeVar("M", bound=BaseModel)
# Row ids are 32-bit on PostgreSQL: a larger number from a client is bad input, not a driver error.
MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    """Every 4xx answer has this shape; `code` is stable, `message` is for people."""

    error: ErrorDetail


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str
    handler: Handler
    summary: str
    tags: tuple[str, ...]
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    responses: dict[int, type[BaseModel] | str | None]
    role: Role | None
    multipart: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    json_body: bool = True  # False: the body is multipart only (the model documents its fields)


ROUTE_SPECS = web.AppKey("route_specs", list[RouteSpec])  # every declared route, for OpenAPI


def validation_message(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "cuerpo"
        parts.append(f"{where}: {err['msg']}")
    return "Datos no válidos. " + "; ".join(parts)


def parse_model(model: type[M], data: Any) -> M:
    """`data` as `model`, or 400; the raw data and the validated values both pass `safe_input`."""
    safe_input.check(data)
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(validation_message(exc), code="validation_error") from None
    safe_input.check(parsed.model_dump())  # numbers a string turned into ("1e400", 40 digits)
    return parsed


async def read_json(request: web.Request) -> Any:
    """The JSON body: 415 unless sent as JSON, 400 when it is not valid (`safe_input.loads`)."""
    if not _is_json(request.content_type) and (request.body_exists or CONTENT_TYPE in request.headers):
        raise UnsupportedMediaType("El cuerpo debe enviarse como application/json.")
    return safe_input.loads(await request.read())


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or content_type.endswith("+json")


class ApiRoutes:
    """A route table that also remembers each route's schema for the OpenAPI document."""

    def __init__(self) -> None:
        self.specs: list[RouteSpec] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str = "",
        tags: Iterable[str] = (),
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        responses: dict[int, type[BaseModel] | str | None] | None = None,
        role: Role | None = None,
        multipart: bool = False,
        json_body: bool = True,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            wrapped = _bind_inputs(handler, body if json_body else None, query, role, multipart)
            spec = RouteSpec(
                method,
                path,
                wrapped,
                summary or (handler.__doc__ or "").strip().split("\n")[0],
                tuple(tags),
                body,
                query,
                dict(responses or {200: None}),
                role,
                multipart,
                json_body=json_body,
            )
            self.specs.append(spec)
            return handler

        return register

    def get(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("PUT", path, **kw)

    def delete(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("DELETE", path, **kw)

    def add_to(self, app: web.Application) -> None:
        for spec in self.specs:
            app.router.add_route(spec.method, spec.path, spec.handler)


def _bind_inputs(
    handler: Handler,
    body: type[BaseModel] | None,
    query: type[BaseModel] | None,
    role: Role | None,
    multipart: bool,
) -> Handler:
    """Authenticate, then validate the query and JSON body into models passed as keyword arguments."""

    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        kwargs: dict[str, Any] = {}
        if role is not None:
            kwargs["principal"] = await require_principal(request, role)
        if query is not None:
            kwargs["query"] = parse_model(query, dict(request.query))
        is_form = request.content_type.startswith("multipart/")
        if body is not None and not (multipart and is_form):
            kwargs["body"] = parse_model(body, await read_json(request))
        return await handler(request, **kwargs)

    return wrapper
