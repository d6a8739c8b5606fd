"""Unit of work: one transaction per request, job or event, and events sent only after commit.

The ORM session is opened on first use. A transaction of Core statements only (the router's
accept, complete and presence change, once per item handled) asks for `connection()` first and
runs on a bare connection with no session at all: an `AsyncSession` costs more CPU per
transaction than the single statement it would carry. Using `session` afterwards binds it to that
same connection and transaction, so mixing both stays one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from contact_center.core.clock import Clock
from contact_center.core.events import Event
from contact_center.core.notifier import Notifier

log = logging.getLogger(__name__)

AfterCommit = Callable[[], Awaitable[None]]


class UnitOfWork:
    """`async with uow_factory() as uow:` ... `await uow.commit()`; leaving without commit rolls back."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        notifier: Notifier,
        clock: Clock,
        jobs: Any = None,
    ) -> None:
        self._sessions = sessions
        self.notifier = notifier
        self.clock = clock
        # The process's jobs port (`contact_center.core.jobs.port.Jobs`) once its runner is up; None in
        # CLI commands, whose work the periodic sweep picks up instead.
        self.jobs = jobs
        self._events: list[Event] = []
        self._after_commit: list[AfterCommit] = []
        self._session: AsyncSession | None = None
        self._connection: AsyncConnection | None = None
        self._bare: AsyncConnection | None = None
        self._open = False

    @property
    def dialect_name(self) -> str:
        """The database engine's dialect ("postgresql" or "sqlite"), for a feature's queries module."""
        return _engine(self._sessions).dialect.name

    @property
    def session(self) -> AsyncSession:
        if not self._open:
            raise RuntimeError("UnitOfWork used outside its 'async with' block")
        if self._session is None:
            if self._connection is not None:
                # Joins the bare connection's transaction; `commit()` commits the connection.
                self._session = self._sessions(bind=self._connection)
            else:
                self._session = self._sessions()
        return self._session

    async def connection(self) -> AsyncConnection:
        """This transaction's connection for Core statements, after writing any ORM change the
        session has pending (Core statements bypass its autoflush)."""
        if not self._open:
            raise RuntimeError("UnitOfWork used outside its 'async with' block")
        if self._session is not None:
            await self._session.flush()  # returns at once when nothing is pending
            return await self._session.connection()
        if self._connection is None:
            connection = await _engine(self._sessions).connect()
            try:
                await connection.begin()
            except BaseException:
                await connection.close()
                raise
            self._connection = connection
        return self._connection

    async def autocommit_connection(self) -> AsyncConnection:
        """A connection outside any transaction, for a unit of work whose one write is a single
        statement that is its own transaction (the chat's batch of messages: no BEGIN, no COMMIT).
        Not to be mixed with `session` or `connection()`; `commit()` then only publishes the events."""
        if not self._open:
            raise RuntimeError("UnitOfWork used outside its 'async with' block")
        if self._bare is None:
            self._bare = await _engine(self._sessions).connect()
        return self._bare

    def emit(self, event: Event) -> None:
        """Queue an event; it goes out only if and when this unit of work commits."""
        self._events.append(event)

    def after_commit(self, action: AfterCommit) -> None:
        """Run `action` once this unit of work has committed (enqueueing the jobs that deliver what
        the transaction stored); a failure is logged, never raised: the commit stands."""
        self._after_commit.append(action)

    async def __aenter__(self) -> UnitOfWork:
        self._events = []
        self._after_commit = []
        self._open = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, connection, bare = self._session, self._connection, self._bare
        self._session, self._connection, self._bare, self._open = None, None, None, False
        self._events = []
        self._after_commit = []
        if bare is not None:
            await bare.close()
        try:
            if session is not None:
                try:
                    await session.rollback()
                finally:
                    await session.close()
        finally:
            if connection is not None:
                try:
                    await connection.rollback()  # nothing left to undo after a commit
                finally:
                    await connection.close()

    async def commit(self) -> None:
        if not self._open:
            raise RuntimeError("UnitOfWork used outside its 'async with' block")
        if self._session is not None:
            await self._session.commit()  # writes pending ORM changes; bound: leaves the tx open
        if self._connection is not None:
            await self._connection.commit()
        events, self._events = self._events, []
        if events:
            try:
                await self.notifier.publish(events)
            except Exception:  # committed: a lost live update must not turn the success into an error
                log.exception("events_not_published", extra={"events": [e.name for e in events]})
        actions, self._after_commit = self._after_commit, []
        for action in actions:
            try:
                await action()
            except Exception:  # the sweep re-drives what the action would have started
                log.warning("after_commit_failed", exc_info=True)


def _engine(sessions: async_sessionmaker[AsyncSession]) -> AsyncEngine:
    bind = sessions.kw.get("bind")
    if not isinstance(bind, AsyncEngine):
        raise RuntimeError("the session factory is not bound to an engine")
    return bind


class UnitOfWorkFactory:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], notifier: Notifier, clock: Clock) -> None:
        self.sessions = sessions
        self.notifier = notifier
        self.clock = clock
        self.jobs: Any = None  # set by the jobs runner's start-up (`contact_center.jobs.install`)

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, self.notifier, self.clock, self.jobs)

    @property
    def engine(self) -> AsyncEngine:
        """The engine the sessions are bound to (for work that needs no unit of work at all)."""
        return _engine(self.sessions)
