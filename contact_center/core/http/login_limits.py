"""Throttling of password log-ins (citizens in the app, officials in the console).

The limits are `contact_center.core.http.attempts`: counted before the password is checked, atomically
(Redis when REDIS_URL is set, the database otherwise), per account and address, per address, and
per account from unfamiliar addresses with progressive delays, so an attacker is slowed and the
owner still logs in from their own address.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiohttp import web

from contact_center.core.errors import Unauthorized
from contact_center.core.http.attempts import guarded, login_policy
from contact_center.core.http.keys import SETTINGS

T = TypeVar("T")


async def throttled(request: web.Request, realm: str, email: str, attempt: Callable[[], Awaitable[T]]) -> T:
    """Run a log-in `attempt` unless the limits of `realm` ("citizen", "official") refuse it; an
    `Unauthorized` answer counts as one failure."""
    policy = login_policy(request.app[SETTINGS])
    return await guarded(request, realm, email, attempt, Unauthorized, policy)
