"""What every decoded input must be before a model or a database sees it: one check for JSON
bodies, query strings, form fields and socket.io payloads.

A database refuses what Python accepts: PostgreSQL has no NUL character in text, neither engine
stores an integer beyond 64 bits, and a lone UTF-16 surrogate ("\\ud800", valid JSON) cannot be
encoded to UTF-8. Nesting is bounded because every reader of the value recurses. Each of these
used to surface as a driver error (a 500); here it is a 400 naming what is wrong, on every engine.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from contact_center.core.errors import DomainError, InvalidInput

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

MAX_DEPTH = 32  # the deepest model the API declares is 4 levels
# Integers a JSON number can carry without loss in every client (I-JSON, RFC 7493): also inside
# PostgreSQL's and SQLite's 64-bit integers.
MAX_INTEGER = 2**53 - 1
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


class UnsupportedMediaType(DomainError):
    code = "unsupported_media_type"
    status = 415


def loads(text: str | bytes) -> Any:
    """`json.loads` that refuses NaN/Infinity and turns too-deep or too-long input into 400s."""
    try:
        return json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise too_deep() from None
    except (ValueError, UnicodeDecodeError):  # JSONDecodeError, an integer of over 4,300 digits
        raise InvalidInput("El cuerpo no es JSON válido.", code="invalid_json") from None


def check(value: Any) -> None:
    """Raise `InvalidInput` unless `value` (decoded JSON or a dict of strings) is safe to store."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            check_text(item)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            _check_integer(item)
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise _out_of_range()
        elif isinstance(item, dict | list | tuple):
            if depth > MAX_DEPTH:
                raise too_deep()
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)


def check_text(text: str) -> None:
    if _BAD_TEXT.search(text):
        raise InvalidInput(
            "El texto contiene caracteres no válidos (NUL o UTF-16 incompleto).", code="invalid_text"
        )


def too_deep() -> InvalidInput:
    return InvalidInput(f"El JSON anida más de {MAX_DEPTH} niveles.", code="too_deep")


def _check_integer(value: int) -> None:
    if not -MAX_INTEGER <= value <= MAX_INTEGER:
        raise _out_of_range()


def _out_of_range() -> InvalidInput:
    return InvalidInput(
        f"Número fuera de rango (se admiten enteros de hasta ±{MAX_INTEGER} y números finitos).",
        code="number_out_of_range",
    )


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


@web.middleware
async def input_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The path and the query string of every request (API, portal, webhooks) pass `check`."""
    check_text(request.path)
    check(list(request.query.items()))
    return await handler(request)
