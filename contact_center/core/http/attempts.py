"""Guessing limits for passwords and access codes: they slow an attacker without locking out the
owner.

Every attempt is counted BEFORE the secret is checked, with atomic counters
(`contact_center.core.counters`: Redis INCR, or one upsert in the database), and refunded when
it succeeds, so parallel attempts cannot all slip in between a check and an increment. Three
counts per realm ("official", "citizen", "code"), each in a window of LOGIN_WINDOW_SECONDS:

- per target AND client address (an e-mail or a radicado from one address): after
  LOGIN_FAILURES_PER_ADDRESS failures that address gets 429 for that target, right secret included;
- per client address, whatever the target: LOGIN_FAILURES_PER_CLIENT (one address trying many
  accounts or cases);
- per target from *unfamiliar* addresses: after LOGIN_FREE_FAILURES, progressive delays: one
  attempt per 1, 2, 4... seconds (at most LOGIN_MAX_DELAY_SECONDS) may go through, the others get
  429 with `Retry-After`. An address is familiar for 30 days after a success there, so the owner
  logs in from their own address at once while an attacker spread over many addresses is slowed
  to a handful of guesses per window. A target is never locked for everyone.

Keys are hashed: the counters need not reveal who is being tried.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from aiohttp import web

from contact_center.core.config import Settings
from contact_center.core.counters import Counters, RedisCounters, SqlCounters
from contact_center.core.errors import DomainError, TooManyRequests
from contact_center.core.http.client_address import client_address
from contact_center.core.http.keys import REDIS, SERVICES, SETTINGS, UOW

log = logging.getLogger(__name__)
T = TypeVar("T")
FAMILIAR_SECONDS = 30 * 24 * 3600
ACCESS_CODE_FAILURES = 10  # wrong access codes per case and address, and per address
_SERVICE = "abuse.counters"
MESSAGE = "Demasiados intentos fallidos. Intente de nuevo en unos minutos."


@dataclass(frozen=True, slots=True)
class Policy:
    per_address: int
    per_client: int
    free: int
    max_delay: float
    window: float

    def delay(self, beyond_free: int) -> float:
        """Seconds the next unfamiliar attempt waits after `beyond_free` attempts past the free ones."""
        return float(min(self.max_delay, 2 ** min(beyond_free - 1, 30)))


def login_policy(settings: Settings) -> Policy:
    return Policy(
        settings.login_failures_per_address,
        settings.login_failures_per_client,
        settings.login_free_failures,
        settings.login_max_delay_seconds,
        settings.login_window_seconds,
    )


def code_policy(settings: Settings) -> Policy:
    failures = ACCESS_CODE_FAILURES
    return Policy(failures, failures, settings.login_free_failures, settings.login_max_delay_seconds,
                  settings.login_window_seconds)  # fmt: skip


def counters(app: web.Application) -> Counters:
    """Redis when REDIS_URL is set, the `rate_counters` table otherwise; one per app."""
    services = app[SERVICES]
    if _SERVICE not in services:
        prefix = f"{app[SETTINGS].redis_namespace}:limits"
        services[_SERVICE] = RedisCounters(app[REDIS], prefix) if REDIS in app else SqlCounters(app[UOW])
    found: Counters = services[_SERVICE]
    return found


async def guarded(
    request: web.Request,
    realm: str,
    target: str,
    attempt: Callable[[], Awaitable[T]],
    failure: type[DomainError],
    policy: Policy,
) -> T:
    """Run `attempt` unless the limits refuse it (429 `rate_limited` with `Retry-After`); an
    attempt that raises `failure` stays counted, any other outcome is refunded."""
    keys = _Keys.of(realm, target, client_address(request))
    store = counters(request.app)
    try:
        counted_target = await _admit(store, keys, policy)
    except TooManyRequests:
        raise
    except Exception:  # Redis or the database down: refuse rather than let guesses through
        log.exception("limits_unavailable", extra={"realm": realm})
        raise LimitsUnavailable(
            "No es posible verificar el acceso en este momento. Intente más tarde."
        ) from None
    try:
        result = await attempt()
    except failure:
        raise
    except BaseException:
        await _after(store, keys, counted_target, success=False)
        raise
    await _after(store, keys, counted_target, success=True)
    return result


class LimitsUnavailable(DomainError):
    code = "limits_unavailable"
    status = 503


async def _after(store: Counters, keys: _Keys, counted_target: bool, *, success: bool) -> None:
    """Refund the attempt (and remember the address after a success); best-effort: the answer
    stands even when the counters cannot be reached any more."""
    try:
        await _refund(store, keys, counted_target)
        if success:
            await store.hit(keys.familiar, FAMILIAR_SECONDS)
    except Exception:
        log.warning("limits_refund_failed", exc_info=True)


@dataclass(frozen=True, slots=True)
class _Keys:
    pair: str
    client: str
    target: str
    gate: str
    familiar: str

    @classmethod
    def of(cls, realm: str, target: str, address: str) -> _Keys:
        who = hashlib.sha256(target.strip().lower().encode()).hexdigest()[:32]
        where = hashlib.sha256(address.encode()).hexdigest()[:16]
        base = f"{realm}:{who}"
        pair, client, familiar = f"{base}:{where}", f"{realm}:client:{where}", f"{base}:known:{where}"
        return cls(pair, client, base, f"{base}:gate", familiar)


async def _admit(store: Counters, keys: _Keys, policy: Policy) -> bool:
    """Count the attempt; raise 429 when a limit refuses it. Whether the target-wide count took it."""
    if await store.hit(keys.pair, policy.window) > policy.per_address:
        raise _limited(policy.window)
    if await store.hit(keys.client, policy.window) > policy.per_client:
        await store.add(keys.pair, -1)
        raise _limited(policy.window)
    if await store.get(keys.familiar):
        return False  # the owner's own address: only its own failures can slow it
    beyond = await store.hit(keys.target, policy.window) - policy.free
    if beyond > 0:
        wait = await store.hold(keys.gate, policy.delay(beyond))
        if wait > 0:
            for key in (keys.target, keys.pair, keys.client):
                await store.add(key, -1)  # refused before any guess: not a failure
            raise _limited(wait)
    return True


async def _refund(store: Counters, keys: _Keys, counted_target: bool) -> None:
    await store.reset(keys.pair)
    await store.add(keys.client, -1)
    if counted_target:
        await store.add(keys.target, -1)


def _limited(retry_after: float) -> TooManyRequests:
    return TooManyRequests(MESSAGE, code="rate_limited", retry_after=retry_after)
