"""Domain errors carry a stable code, a human message (Spanish) and the HTTP status they map to.

One middleware (`contact_center.core.http.errors`) turns them into `{"error": {"code", "message"}}` and the
socket.io layer into `error` events, so services raise these and never build responses themselves.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every expected, user-facing failure."""

    code: str = "domain_error"
    status: int = 400

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details


class InvalidInput(DomainError):
    code = "invalid_input"
    status = 400


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Conflict(DomainError):
    """The request is valid but the current state forbids it (for example a ticket transition)."""

    code = "conflict"
    status = 409


class Unauthorized(DomainError):
    code = "unauthorized"
    status = 401


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class TooManyRequests(DomainError):
    code = "rate_limited"
    status = 429
