"""Throttling of password log-ins (citizens in the app, officials in the console).

Failed attempts are counted per account (e-mail) and per client address in fixed 15-minute windows,
with the same limiters as wrong access codes (`ratelimit`: Redis when REDIS_URL is set, so every web
process shares the counts; memory otherwise). Once a limit is reached every attempt, right or wrong,
gets 429 `rate_limited` until the window ends, before any password is checked. The client limit is
higher than the account limit because an office's officials may share one public address.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiohttp import web

from contact_center.core.errors import TooManyRequests, Unauthorized
from contact_center.core.http.client_address import client_address
from contact_center.core.http.keys import REDIS, SERVICES, SETTINGS
from contact_center.core.http.ratelimit import FailureLimiter, MemoryLimiter, RedisLimiter

T = TypeVar("T")
ACCOUNT_FAILURES = 10
CLIENT_FAILURES = 20
WINDOW_SECONDS = 15 * 60
_SERVICE = "login.limiters"


def _limiters(app: web.Application) -> tuple[FailureLimiter, FailureLimiter]:
    services = app[SERVICES]
    if _SERVICE not in services:
        services[_SERVICE] = (
            _limiter(app, "account", ACCOUNT_FAILURES),
            _limiter(app, "client", CLIENT_FAILURES),
        )
    limiters: tuple[FailureLimiter, FailureLimiter] = services[_SERVICE]
    return limiters


def _limiter(app: web.Application, what: str, limit: int) -> FailureLimiter:
    if REDIS in app:
        prefix = f"{app[SETTINGS].redis_namespace}:login-failures:{what}"
        return RedisLimiter(app[REDIS], prefix, limit, WINDOW_SECONDS)
    return MemoryLimiter(limit, WINDOW_SECONDS)


async def throttled(request: web.Request, realm: str, email: str, attempt: Callable[[], Awaitable[T]]) -> T:
    """Run a log-in `attempt` unless `email` or this client is blocked in `realm` ("citizen",
    "official"); an `Unauthorized` answer counts as one failure against both."""
    by_account, by_client = _limiters(request.app)
    # Hashed: the counters' keys need not reveal who is being tried.
    account = [f"{realm}:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]]
    client = [f"{realm}:{client_address(request)}"]
    if await by_account.blocked(account) or await by_client.blocked(client):
        raise TooManyRequests(
            "Demasiados intentos fallidos de inicio de sesión. Intente de nuevo en 15 minutos.",
            code="rate_limited",
        )
    try:
        return await attempt()
    except Unauthorized:
        await by_account.record(account)
        await by_client.record(client)
        raise
