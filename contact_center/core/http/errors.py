"""One middleware maps every failure to `{"error": {"code", "message"}}` with the right status."""

from __future__ import annotations

import logging
import math

from aiohttp import web

from contact_center.core.errors import DomainError
from contact_center.core.http.api import Handler

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: ("bad_request", "Solicitud no válida."),
    401: ("unauthorized", "Debe iniciar sesión."),
    403: ("forbidden", "No tiene permiso para esta acción."),
    404: ("not_found", "No encontrado."),
    405: ("method_not_allowed", "Método no permitido en esta ruta."),
    413: ("payload_too_large", "La solicitud es demasiado grande."),
    415: ("unsupported_media_type", "Tipo de contenido no soportado."),
}


def error_response(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except DomainError as exc:
        if exc.status >= 500:
            log.error("domain_error", extra={"code": exc.code, "path": request.path})
        response = error_response(exc.status, exc.code, exc.message)
        if "retry_after" in exc.details:  # a rate limit says when to come back (RFC 9110)
            response.headers["Retry-After"] = str(max(1, math.ceil(exc.details["retry_after"])))
        return response
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        code, message = _HTTP_CODES.get(exc.status, ("http_error", exc.reason))
        response = error_response(exc.status, code, message)
        if "Allow" in exc.headers:  # a 405 says which methods the route takes (RFC 9110)
            response.headers["Allow"] = exc.headers["Allow"]
        return response
    except Exception:
        log.exception("unhandled_error", extra={"path": request.path, "method": request.method})
        return error_response(500, "internal_error", "Ocurrió un error interno. Intente más tarde.")
