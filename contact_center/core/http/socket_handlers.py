"""Validated socket.io handlers: one pydantic model per client event, one error shape for all.

A handler decorated with `@event(Model)` receives the validated model; anything else a client sends
(an unknown event, a missing field, a wrong type, extra arguments) is answered with an `error` event
`{"error": {"code", "message"}}` (also returned as the acknowledgement) and changes nothing.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import socketio
from pydantic import BaseModel, ConfigDict, ValidationError

from contact_center.core.errors import DomainError, InvalidInput
from contact_center.core.http import safe_input
from contact_center.core.http.api import validation_message

log = logging.getLogger(__name__)
ERROR_EVENT = "error"
M = TypeVar("M", bound=BaseModel)
Result = dict[str, Any] | None
Handler = Callable[[Any, str, Any], Awaitable[Result]]
_LIFECYCLE = frozenset({"connect", "disconnect"})


class EventModel(BaseModel):
    """Base of every client event payload: unknown fields and loose types are refused."""

    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)


class Empty(EventModel):
    """An event that carries no data."""


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def event(model: type[M]) -> Callable[[Callable[[Any, str, M], Awaitable[Result]]], Handler]:
    """Declare a client event handler taking the validated `model`; its result is the ack."""

    def decorate(fn: Callable[[Any, str, M], Awaitable[Result]]) -> Handler:
        @functools.wraps(fn)
        async def handler(self: ValidatingNamespace, sid: str, *args: Any) -> Result:
            before = getattr(self, "before_event", None)  # officials' namespaces re-check the token
            if before is not None:
                try:
                    await before(sid)
                except DomainError as exc:
                    return await self.fail(sid, exc)
            if len(args) > 1:
                return await self.fail(sid, InvalidInput("Envíe un solo objeto JSON.", code="bad_arguments"))
            data = args[0] if args else None
            try:
                safe_input.check(data)  # NUL, lone surrogates, huge numbers, deep nesting: 400
                body = model.model_validate({} if data is None else data)
                safe_input.check(body.model_dump())
            except DomainError as exc:
                return await self.fail(sid, exc)
            except ValidationError as exc:
                return await self.fail(sid, InvalidInput(validation_message(exc), code="validation_error"))
            try:
                result = await fn(self, sid, body)
            except DomainError as exc:
                return await self.fail(sid, exc)
            except Exception:
                log.exception(
                    "socket_handler_failed", extra={"namespace": self.namespace, "event": fn.__name__}
                )
                return await self.fail(sid, DomainError("Ocurrió un error interno.", code="internal_error"))
            return {"ok": True, **(result or {})}

        handler.event_model = model  # type: ignore[attr-defined]
        return handler

    return decorate


class ValidatingNamespace(socketio.AsyncNamespace):  # type: ignore[misc]  # socketio is untyped
    """Dispatches only declared events; everything else is an `unknown_event` error."""

    async def trigger_event(self, event_name: str, *args: Any) -> Any:
        if event_name in _LIFECYCLE:
            return await super().trigger_event(event_name, *args)
        known = isinstance(event_name, str) and event_name.isidentifier()
        handler = getattr(self, f"on_{event_name}", None) if known else None
        if handler is None or not hasattr(handler, "event_model"):
            sid = args[0]
            return await self.fail(
                sid, InvalidInput(f"Evento desconocido: «{str(event_name)[:60]}».", code="unknown_event")
            )
        return await handler(*args)

    async def fail(self, sid: str, exc: DomainError) -> dict[str, Any]:
        body = error_body(exc.code, exc.message)
        await self.emit(ERROR_EVENT, body, to=sid)
        return body

    @classmethod
    def client_events(cls) -> dict[str, type[BaseModel]]:
        """Every client event this namespace accepts, with its model (for the catalogue test)."""
        found: dict[str, type[BaseModel]] = {}
        for name in dir(cls):
            member = getattr(cls, name)
            if name.startswith("on_") and hasattr(member, "event_model"):
                found[name[3:]] = member.event_model
        return found
