"""FastAGI server: Asterisk's ``AGI(agi://host:port/script,args)`` lands here, one session a call.

Written on asyncio streams rather than ``panoramisk.fast_agi``: the latter has no timeouts (a peer
that never finishes its environment block holds a task forever), routes by script name only,
decodes replies without hang-up handling, and wraps plain functions with ``asyncio.coroutine``,
which no longer exists in Python 3.11.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from channels.asterisk.agi_protocol import AgiEnvironment, parse_environment
from channels.asterisk.agi_session import AgiSession
from channels.asterisk.config import AgiConfig
from channels.asterisk.errors import AgiError, CallHungUp

log = logging.getLogger(__name__)

AgiHandler = Callable[[AgiSession], Awaitable[None]]
# The environment is ~25 short lines; anything far longer is not Asterisk.
_MAX_ENV_LINES = 200


class AgiServer:
    """Accepts FastAGI connections and runs ``handler(session)`` for each one."""

    def __init__(self, config: AgiConfig, handler: AgiHandler) -> None:
        self._config = config
        self._handler = handler
        self._server: asyncio.Server | None = None
        self._sessions: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        """The bound port (useful with port 0)."""
        if self._server is None:
            raise RuntimeError("AGI server not started")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self._config.host, self._config.port)
        log.info("agi_listening", extra={"host": self._config.host, "port": self.port})

    async def close(self) -> None:
        """Stop accepting and end the sessions still running (their calls go on in the dialplan)."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for task in list(self._sessions):
            task.cancel()
        await asyncio.gather(*self._sessions, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._sessions.add(task)
        try:
            env = await self._read_environment(reader)
            if env is not None:
                config = self._config
                session = AgiSession(env, reader, writer, config.command_timeout, config.media_timeout)
                await self._run(session, env)
        finally:
            self._sessions.discard(task)
            writer.close()

    async def _read_environment(self, reader: asyncio.StreamReader) -> AgiEnvironment | None:
        lines: list[str] = []
        try:
            async with asyncio.timeout(self._config.environment_timeout):
                while len(lines) < _MAX_ENV_LINES:
                    line = (await reader.readline()).decode("utf-8", "replace")
                    if not line.strip():  # the empty line ends it (or EOF)
                        break
                    lines.append(line.rstrip("\r\n"))
        except (TimeoutError, ConnectionError) as exc:
            log.warning("agi_environment_unreadable", extra={"error": repr(exc)})
            return None
        env = parse_environment(lines)
        if not env.uniqueid:
            log.warning("agi_environment_incomplete", extra={"lines": len(lines)})
            return None
        return env

    async def _run(self, session: AgiSession, env: AgiEnvironment) -> None:
        started = time.monotonic()
        where = {"uniqueid": env.uniqueid, "channel": env.channel, "script": env.network_script}
        # No caller id in logs: it is personal data (Ley 1581) and the uniqueid suffices.
        log.info("agi_session_start", extra=where)
        outcome = "completed"
        try:
            await self._handler(session)
        except CallHungUp:
            outcome = "hung_up"
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        except AgiError as exc:
            outcome = "agi_error"
            log.warning("agi_session_error", extra={**where, "error": str(exc)})
        except Exception:
            outcome = "handler_error"
            log.exception("agi_handler_failed", extra=where)
        finally:
            duration = round(time.monotonic() - started, 3)
            log.info("agi_session_end", extra={**where, "outcome": outcome, "seconds": duration})
