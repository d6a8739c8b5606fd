"""The socket.io server and the officials' namespaces, authenticated on connect.

Namespaces keep no per-client state of their own: what a connection is (its principal) lives in the
socket.io session, so any process behind the Redis manager can serve it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import socketio

from contact_center.core import auth
from contact_center.core.auth import Principal
from contact_center.core.config import Settings
from contact_center.core.errors import DomainError, Unauthorized
from contact_center.core.events import (
    AGENTS,
    SESSION_CLOSED,
    SUPERVISORS,
    SUPERVISORS_ROOM,
    official_room,
    session_room,
)
from contact_center.core.officials import Role, role_allows
from contact_center.core.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)
# redis-py caps an async pool at 100 connections; bursts of emits from many tasks need more.
REDIS_POOL_SIZE = 500
DROP_DELAY_SECONDS = 0.2


Emit = tuple[str, Any, str, str, str | None]  # event, data, namespace, room, skip_sid
_BATCH = "emit_batch"  # a Redis message carrying several emits, in order
_BATCH_MARKER = b'"emit_batch"'


async def close_session_sockets(manager: Any, message: dict[str, Any]) -> None:
    """After a `session.closed` emit reached this process's sockets of the session, disconnect them
    (a revoked token keeps no open socket, whichever process holds it)."""
    if message.get("event") != SESSION_CLOSED or not message.get("room"):
        return
    namespace = message.get("namespace") or "/"
    sids = [sid for sid, _ in manager.get_participants(namespace, message["room"])]
    for sid in sids:
        await manager.server.disconnect(sid, namespace=namespace, ignore_queue=True)


class LocalManager(socketio.AsyncManager):  # type: ignore[misc]  # socketio is untyped
    """The in-memory manager of the embedded default, closing the sockets of a closed session."""

    async def emit(self, event: str, data: Any, namespace: str, room: str | None = None, **kw: Any) -> Any:
        result = await super().emit(event, data, namespace, room=room, **kw)
        await close_session_sockets(self, {"event": event, "namespace": namespace, "room": room})
        return result


class BatchingRedisManager(socketio.AsyncRedisManager):  # type: ignore[misc]  # socketio is untyped
    """The Redis manager, plus `emit_many`: the events of one commit travel to the other processes
    as one Redis message instead of one each (a chat batch of 20 messages: 1 publish, not 40).
    `heard`, when set, is told the name of every event another process emitted (the supervisor
    feed learns of other processes' changes this way)."""

    heard: Callable[[str], None] | None = None

    async def _handle_emit(self, message: dict[str, Any]) -> None:
        if self.heard is not None and message.get("host_id") != self.host_id:
            self.heard(str(message.get("event")))
        await super()._handle_emit(message)
        if not self.write_only:
            await close_session_sockets(self, message)

    async def emit_many(self, emits: list[Emit]) -> None:
        messages = []
        for event, data, namespace, room, skip_sid in emits:
            message = {
                "method": "emit",
                "event": event,
                "data": [data],
                "binary": False,
                "namespace": namespace,
                "room": room,
                "skip_sid": skip_sid,
                "callback": None,
                "host_id": self.host_id,
            }
            if not self.write_only:
                await self._handle_emit(message)  # this process's clients, in order
            messages.append(message)
        await self._publish({"method": _BATCH, "messages": messages, "host_id": self.host_id})

    async def _listen(self) -> Any:
        """Each message of a batch, as if published alone (the base class dispatches them)."""
        async for raw in super()._listen():
            data = _decoded(raw, self.json)
            if isinstance(data, dict) and data.get("method") == _BATCH:
                for message in data.get("messages", ()):
                    yield message
            else:
                yield raw


def _decoded(raw: Any, codec: Any) -> Any:
    """A batch, decoded; None for anything else (left to the base class as it came, so a plain
    message is not decoded twice)."""
    marker = _BATCH_MARKER if isinstance(raw, bytes) else _BATCH_MARKER.decode()
    if not isinstance(raw, bytes | str) or marker not in raw:  # type: ignore[operator]
        return None
    try:
        return codec.loads(raw)
    except ValueError:
        return None


def create_server(settings: Settings, *, write_only: bool = False) -> socketio.AsyncServer:
    manager: socketio.AsyncManager = LocalManager()
    if settings.redis_url:
        manager = BatchingRedisManager(
            settings.redis_url,
            channel=f"{settings.redis_namespace}:socketio",
            write_only=write_only,
            redis_options={"max_connections": REDIS_POOL_SIZE},
        )
    return socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=manager,
        logger=False,
        engineio_logger=False,
        max_http_buffer_size=64 * 1024,
        cors_allowed_origins=settings.cors_origins() or None,
    )


def error_payload(exc: DomainError) -> dict[str, Any]:
    return {"error": {"code": exc.code, "message": exc.message}}


def refuse(code: str, message: str) -> socketio.exceptions.ConnectionRefusedError:
    """A refusal the client receives as `{"message", "data": {"code", "message"}}` on connect_error."""
    return socketio.exceptions.ConnectionRefusedError(message, {"code": code, "message": message})


class OfficialNamespace(socketio.AsyncNamespace):  # type: ignore[misc]  # socketio is untyped
    """A namespace only officials with at least `role` can join; the token comes in `auth`."""

    role: Role = Role.AGENT

    def __init__(self, namespace: str, uow: UnitOfWorkFactory) -> None:
        super().__init__(namespace)
        self.uow = uow

    async def on_connect(self, sid: str, environ: dict[str, Any], auth_data: Any = None) -> None:
        token = auth_data.get("token") if isinstance(auth_data, dict) else None
        if not isinstance(token, str) or not token:
            raise refuse("missing_token", "Debe iniciar sesión.")
        digest = auth.token_digest(token)
        try:
            async with self.uow() as uow:
                principal = await auth.authenticate(uow, token)
                expires_at = await auth.authenticate_digest(uow, digest)
        except DomainError as exc:
            raise refuse(exc.code, exc.message) from None
        if not role_allows(principal.role, self.role):
            raise refuse("role_required", "Su rol no permite esta conexión.")
        await self.save_session(sid, {"principal": principal, "token": digest, "expires_at": expires_at})
        await self.enter_room(sid, official_room(principal.official_id))
        await self.enter_room(sid, session_room(digest))
        await self.joined(sid, principal)
        log.info(
            "socket_connected",
            extra={"namespace": self.namespace, "official_id": principal.official_id},
        )

    async def joined(self, sid: str, principal: Principal) -> None:
        """Hook for subclasses: rooms and state to send right after a successful connect."""

    async def before_event(self, sid: str) -> None:
        """Every client event re-checks the connection's token: its expiry in memory, and its
        revocation (or the account's deactivation) in one indexed read; a refused token ends the
        connection right after the error is sent."""
        session = await self.get_session(sid)
        try:
            now = self.uow.clock.now()
            if session["expires_at"] <= now:
                raise Unauthorized("La sesión expiró. Inicie sesión de nuevo.", code="token_expired")
            await auth.recheck_digest(self.uow.engine, session["token"], now)
        except Unauthorized:
            self.server.start_background_task(self._drop, sid)
            raise

    async def _drop(self, sid: str) -> None:
        await asyncio.sleep(DROP_DELAY_SECONDS)  # the error's ack goes out first
        await self.disconnect(sid)

    async def principal(self, sid: str) -> Principal:
        session = await self.get_session(sid)
        principal = session.get("principal")
        assert isinstance(principal, Principal), "connect stores the principal"
        return principal


class AgentsNamespace(OfficialNamespace):
    role = Role.AGENT


class SupervisorsNamespace(OfficialNamespace):
    role = Role.SUPERVISOR

    async def joined(self, sid: str, principal: Principal) -> None:
        await self.enter_room(sid, SUPERVISORS_ROOM)


def register_namespaces(sio: socketio.AsyncServer, uow: UnitOfWorkFactory) -> None:
    sio.register_namespace(AgentsNamespace(AGENTS, uow))
    sio.register_namespace(SupervisorsNamespace(SUPERVISORS, uow))
