"""Quotas per client address on what creates records: filings (each one a radicado with a legal
deadline) and citizen accounts.

FILING_LIMIT filings per FILING_WINDOW_SECONDS and REGISTRATION_LIMIT sign-ups per
REGISTRATION_WINDOW_SECONDS from one address (behind TRUSTED_PROXIES, the client the proxy saw);
beyond that, 429 `rate_limited` with `Retry-After` until the window ends. A slot is taken
atomically before the work (the same counters as the guessing limits) and given back when the
request fails or is an idempotent replay, so only what was created counts. If the counters cannot
be reached the request goes through (logged): a citizen's right to file outweighs the quota.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiohttp import web

from contact_center.core.counters import Counters
from contact_center.core.errors import TooManyRequests
from contact_center.core.http.attempts import counters
from contact_center.core.http.client_address import client_address
from contact_center.core.http.keys import SETTINGS

log = logging.getLogger(__name__)
T = TypeVar("T")


async def filing(
    request: web.Request, action: Callable[[], Awaitable[T]], replayed: Callable[[T], bool]
) -> T:
    settings = request.app[SETTINGS]
    message = "Ha radicado muchas solicitudes desde esta conexión. Intente de nuevo más tarde."
    quota = _Quota("filing", settings.filing_limit, settings.filing_window_seconds, message)
    return await quota.run(request, action, replayed)


async def registration(request: web.Request, action: Callable[[], Awaitable[T]]) -> T:
    settings = request.app[SETTINGS]
    message = "Se han creado muchas cuentas desde esta conexión. Intente de nuevo más tarde."
    quota = _Quota("registration", settings.registration_limit, settings.registration_window_seconds, message)
    return await quota.run(request, action, lambda _: False)


class _Quota:
    def __init__(self, kind: str, limit: int, window: int, message: str) -> None:
        self.kind, self.limit, self.window, self.message = kind, limit, window, message

    async def run(
        self, request: web.Request, action: Callable[[], Awaitable[T]], replayed: Callable[[T], bool]
    ) -> T:
        store = counters(request.app)
        key = f"quota:{self.kind}:" + hashlib.sha256(client_address(request).encode()).hexdigest()[:16]
        taken = await self._take(store, key)
        try:
            result = await action()
        except BaseException:
            await self._give_back(store, key, taken)
            raise
        if replayed(result):
            await self._give_back(store, key, taken)
        return result

    async def _take(self, store: Counters, key: str) -> bool:
        try:
            count = await store.hit(key, self.window)
            if count <= self.limit:
                return True
            await store.add(key, -1)
            retry_after = await store.remaining(key) or self.window
        except Exception:
            log.warning("throttle_unavailable", extra={"kind": self.kind}, exc_info=True)
            return False
        raise TooManyRequests(self.message, code="rate_limited", retry_after=retry_after)

    async def _give_back(self, store: Counters, key: str, taken: bool) -> None:
        if taken:
            try:
                await store.add(key, -1)
            except Exception:
                log.warning("throttle_unavailable", extra={"kind": self.kind}, exc_info=True)
