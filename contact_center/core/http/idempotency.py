"""`Idempotency-Key` on every POST: a retry gets the first answer and changes nothing.

Two ways a route gets it:

- Routes marked `@in_transaction` call `run_once`, which stores the answer in the `idempotency_records`
  table in the SAME transaction as the effect. The record's primary key (scope, key) is inserted
  first, so a concurrent duplicate waits on it (PostgreSQL) or runs after it (SQLite's
  BEGIN IMMEDIATE) and then replays the committed answer; a crash before the commit leaves nothing,
  and the retry does the work once.
- Every other POST carrying the header goes through `idempotency_middleware`: it claims the key in
  its own transaction (a concurrent duplicate gets 409 `idempotency_in_progress`), runs the
  handler, and stores its answer afterwards (a claim left by a crash is taken over after a minute).

The same key with a different request is refused with 422 `idempotency_key_reused`.

No secret at rest: the key column holds a SHA-256 of the client's key, secret fields of a stored
answer (a filing's access code) are sealed with a key only that client's retry can rebuild
(`sealed_answers`), log-ins (`@not_stored`) are never stored, and every record is deleted
IDEMPOTENCY_TTL_HOURS after it was made (`services.housekeeping`, run by the sweep).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from aiohttp import web
from sqlalchemy import Table, bindparam, delete, update
from sqlalchemy.exc import IntegrityError

from contact_center.core.db.models import IdempotencyRecord
from contact_center.core.db.quiet_insert import insert_ignoring_conflicts
from contact_center.core.errors import Conflict, DomainError, InvalidInput
from contact_center.core.http import sealed_answers
from contact_center.core.http.api import Handler
from contact_center.core.http.keys import SETTINGS, UOW
from contact_center.core.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)
HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_IN_PROGRESS = 0  # status of a claimed key whose answer is not stored yet
_STALE_CLAIM = timedelta(minutes=1)
_MARK = "_idempotent_in_transaction"
_NOT_STORED = "_idempotency_not_stored"
_TABLE: Table = IdempotencyRecord.__table__  # type: ignore[assignment]


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    status = 422


@dataclass(frozen=True, slots=True)
class Claim:
    """A request's `Idempotency-Key` in its scope; `secret` (SECRET_KEY) seals what is stored."""

    scope: str
    key: str
    secret: bytes = b""

    @property
    def stored(self) -> str:
        """The key column's value: a hash, not the client's key (`sealed_answers`)."""
        return sealed_answers.stored_key(self.key)

    def seal(self, body: Any) -> bytes:
        return json.dumps(sealed_answers.seal_fields(body, self.secret, self.scope, self.key)).encode()

    def open(self, payload: bytes) -> bytes:
        if b"sealed:v1:" not in payload:
            return payload
        body = json.loads(payload)
        return json.dumps(sealed_answers.open_fields(body, self.secret, self.scope, self.key)).encode()


_CLAIM = web.RequestKey("idempotency_claim", Claim)


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """The idempotency record (scope, key) to complete with this status and JSON body."""

    scope: str
    key: str
    status: int
    body: bytes


class LastWrite(Protocol):
    """An effect whose last rows are written together with its stored answer (the PQRD filing
    numbers its radicado there: `contact_center.pqrd.services.numbering.LateNumbering`)."""

    async def finish(self, uow: UnitOfWork, answer: StoredAnswer | None, payload: bytes) -> bytes | None:
        """The final payload when it wrote the answer itself; None: the caller stores it."""


def in_transaction(handler: Handler) -> Handler:
    """Mark a handler that stores its answer itself through `run_once` (put it under the route)."""
    setattr(handler, _MARK, True)
    return handler


def not_stored(handler: Handler) -> Handler:
    """Mark a handler whose answer must not be stored (it mints a bearer token: a log-in). Its
    `Idempotency-Key` is ignored: running it again only opens another session."""
    setattr(handler, _NOT_STORED, True)
    return handler


def claim_of(request: web.Request) -> Claim | None:
    return request.get(_CLAIM)


def fingerprint(value: Any) -> str:
    """A stable hash of a request's meaning (canonical JSON), to tell a retry from a reuse."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


Effect = Callable[[UnitOfWork], Awaitable[tuple[int, Any]]]


async def run_once(
    request: web.Request,
    request_hash: str,
    effect: Effect,
    after_commit: Callable[[], Awaitable[None]] | None = None,
    last_write: LastWrite | None = None,
) -> web.Response:
    """Run `effect` (returning status and JSON body) in one transaction with the stored answer."""
    outcome = await once(request.app[UOW], claim_of(request), request_hash, effect, last_write)
    if outcome.replayed:
        return web.Response(
            body=outcome.body,
            status=outcome.status,
            content_type="application/json",
            headers={REPLAYED_HEADER: "true"},
        )
    if after_commit is not None:
        try:
            await after_commit()
        except Exception:
            # Committed: the answer stands. What follows a commit is best-effort (its rows are
            # re-driven by the sweep), and a 5xx now would make the client file again.
            log.exception("after_commit_failed", extra={"path": request.path})
    return web.Response(body=outcome.body, status=outcome.status, content_type="application/json")


@dataclass(frozen=True, slots=True)
class Outcome:
    """The answer of a request run at most once: the first run's, replayed to a repetition."""

    status: int
    body: bytes
    replayed: bool

    def json(self) -> Any:
        return json.loads(self.body)


async def once(
    uows: UnitOfWorkFactory,
    claim: Claim | None,
    request_hash: str,
    effect: Effect,
    last_write: LastWrite | None = None,
) -> Outcome:
    """Run `effect` once per claim, storing its JSON answer in the effect's own transaction.

    The building block of `run_once`, for callers that render the answer themselves (the portal's
    no-JS form keys it by a hidden submission id). No claim: the effect just runs."""
    for attempt in (1, 2):
        try:
            async with uows() as uow:
                if claim is not None:
                    stored = await _claim_first(uow, claim, request_hash)
                    if stored is not None:
                        _check_done(stored)
                        return Outcome(stored.status, claim.open(stored.body), replayed=True)
                status, body = await effect(uow)
                payload = json.dumps(body).encode()
                kept = claim.seal(body) if claim is not None else payload
                payload = await _finish(uow, claim, status, payload, kept, last_write)
                await uow.commit()
        except IntegrityError:
            if claim is None or attempt == 2:
                raise
            continue  # a concurrent duplicate committed first: replay its answer
        return Outcome(status, payload, replayed=False)
    raise AssertionError("unreachable")


async def _reserve(uow: UnitOfWork, claim: Claim, request_hash: str) -> IdempotencyRecord | None:
    """The stored answer to replay, or None after inserting this request's claim (flushed)."""
    stored = await uow.session.get(IdempotencyRecord, (claim.scope, claim.stored))
    if stored is not None:
        _check_same(stored, request_hash)
        return stored
    uow.session.add(
        IdempotencyRecord(
            scope=claim.scope,
            key=claim.stored,
            request_hash=request_hash,
            status=_IN_PROGRESS,
            body=b"",
            created_at=uow.clock.now(),
        )
    )
    await uow.session.flush()
    return None


async def _claim_first(uow: UnitOfWork, claim: Claim, request_hash: str) -> IdempotencyRecord | None:
    """`_reserve` in one statement when the key is new (the common case): INSERT ... ON CONFLICT
    DO NOTHING, and a read only when a first request holds the key. On PostgreSQL the insert waits
    for a concurrent first request to end, so what is read then is its committed answer."""
    row = {
        "scope": claim.scope,
        "key": claim.stored,
        "request_hash": request_hash,
        "status": _IN_PROGRESS,
        "body": b"",
        "created_at": uow.clock.now(),
    }
    if await insert_ignoring_conflicts(uow.session, _TABLE, [row], returning=_TABLE.c.scope):
        return None
    stored = await uow.session.get(IdempotencyRecord, (claim.scope, claim.stored), populate_existing=True)
    if stored is None:  # the first request rolled back in the meantime: try again from the start
        raise IntegrityError("idempotency claim vanished", None, Exception())
    _check_same(stored, request_hash)
    return stored


def _check_same(stored: IdempotencyRecord, request_hash: str) -> None:
    if stored.request_hash != request_hash:
        raise IdempotencyKeyReused(
            "Esta clave de idempotencia ya se usó con otra solicitud; use una clave nueva.",
        )


# A Core UPDATE (the claimed row is not in the session to be changed in place), built once.
_STORE_ANSWER = (
    update(_TABLE)
    .where(_TABLE.c.scope == bindparam("b_scope"), _TABLE.c.key == bindparam("b_key"))
    .values(status=bindparam("b_status"), body=bindparam("b_body"))
)


async def _store(uow: UnitOfWork, claim: Claim, status: int, payload: bytes) -> None:
    params = {"b_scope": claim.scope, "b_key": claim.stored, "b_status": status, "b_body": payload}
    await uow.session.execute(_STORE_ANSWER, params)


async def _finish(
    uow: UnitOfWork,
    claim: Claim | None,
    status: int,
    payload: bytes,
    kept: bytes,
    last_write: LastWrite | None,
) -> bytes:
    """Store the answer (`kept`: sealed), or let `last_write` store it with its own last rows;
    returns what the client gets."""
    answer = StoredAnswer(claim.scope, claim.stored, status, kept) if claim is not None else None
    if last_write is not None:
        final = await last_write.finish(uow, answer, payload)
        if final is not None:
            return final
    if claim is not None:
        await _store(uow, claim, status, kept)
    return payload


def _check_done(stored: IdempotencyRecord) -> None:
    if stored.status == _IN_PROGRESS:
        raise Conflict(
            "Una solicitud con esta clave de idempotencia está en curso; intente de nuevo en un momento.",
            code="idempotency_in_progress",
        )


def _replay(stored: IdempotencyRecord, claim: Claim) -> web.Response:
    _check_done(stored)
    return web.Response(
        body=claim.open(stored.body),
        status=stored.status,
        content_type="application/json",
        headers={REPLAYED_HEADER: "true"},
    )


def _claim_for(request: web.Request, key: str) -> Claim:
    if not (1 <= len(key) <= 200 and key.isascii() and key.isprintable()):
        raise InvalidInput(
            "La cabecera Idempotency-Key debe tener entre 1 y 200 caracteres ASCII visibles.",
            code="invalid_idempotency_key",
        )
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else request.path
    # Keys of different officials never meet; citizens' keys are random UUIDs from their device.
    auth = request.headers.get("Authorization", "")
    owner = hashlib.sha256(auth.encode()).hexdigest()[:16] if auth else "-"
    secret = request.app[SETTINGS].signing_key()
    return Claim(scope=f"POST {route} {owner}"[:120], key=key, secret=secret)


@web.middleware
async def idempotency_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give every POST with an `Idempotency-Key` header at-most-once effect."""
    key = request.headers.get(HEADER)
    if request.method != "POST" or key is None or getattr(request.match_info.handler, _NOT_STORED, False):
        return await handler(request)
    claim = _claim_for(request, key)
    request[_CLAIM] = claim
    if getattr(request.match_info.handler, _MARK, False):
        return await handler(request)  # the route stores its answer in its own transaction
    return await _around(request, handler, claim)


async def _around(request: web.Request, handler: Handler, claim: Claim) -> web.StreamResponse:
    uows: UnitOfWorkFactory = request.app[UOW]
    body = b"" if request.content_type.startswith("multipart/") else await request.read()
    request_hash = hashlib.sha256(request.path.encode() + b"\n" + body).hexdigest()
    async with uows() as uow:
        stored = await uow.session.get(IdempotencyRecord, (claim.scope, claim.stored))
        if stored is not None and not _stale(uow, stored):
            _check_same(stored, request_hash)
            return _replay(stored, claim)
        if stored is not None:
            await uow.session.delete(stored)
            await uow.session.flush()
        try:
            await _reserve(uow, claim, request_hash)
            await uow.commit()
        except IntegrityError:
            raise Conflict(
                "Una solicitud con esta clave de idempotencia está en curso.", code="idempotency_in_progress"
            ) from None
    try:
        response = await handler(request)
    except BaseException:
        await _release(uows, claim)
        raise
    if response.status >= 500 or not isinstance(response, web.Response) or response.body is None:
        await _release(uows, claim)
        return response
    async with uows() as uow:
        await _store(uow, claim, response.status, _kept(claim, bytes(response.body)))  # type: ignore[arg-type]
        await uow.commit()
    return response


def _kept(claim: Claim, body: bytes) -> bytes:
    """A handler's answer as stored: sealed when it is JSON with a secret field in it."""
    try:
        return claim.seal(json.loads(body))
    except ValueError:
        return body


def _stale(uow: UnitOfWork, stored: IdempotencyRecord) -> bool:
    return stored.status == _IN_PROGRESS and uow.clock.now() - stored.created_at > _STALE_CLAIM


async def _release(uows: UnitOfWorkFactory, claim: Claim) -> None:
    async with uows() as uow:
        await uow.session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.scope == claim.scope,
                IdempotencyRecord.key == claim.stored,
                IdempotencyRecord.status == _IN_PROGRESS,
            )
        )
        await uow.commit()
