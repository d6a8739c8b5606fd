"""Unit of work: one AsyncSession per request, job or event, and events sent only after commit."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contact_center.domain.clock import Clock
from contact_center.domain.events import Event
from contact_center.services.notifier import Notifier


class UnitOfWork:
    """`async with uow_factory() as uow:` ... `await uow.commit()`; leaving without commit rolls back."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], notifier: Notifier, clock: Clock) -> None:
        self._sessions = sessions
        self.notifier = notifier
        self.clock = clock
        self._events: list[Event] = []
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("UnitOfWork used outside its 'async with' block")
        return self._session

    def emit(self, event: Event) -> None:
        """Queue an event; it goes out only if and when this unit of work commits."""
        self._events.append(event)

    async def __aenter__(self) -> UnitOfWork:
        self._session = self._sessions()
        self._events = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._session is not None
        try:
            await self._session.rollback()
        finally:
            await self._session.close()
            self._session = None
            self._events = []

    async def commit(self) -> None:
        await self.session.commit()
        events, self._events = self._events, []
        if events:
            await self.notifier.publish(events)


class UnitOfWorkFactory:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], notifier: Notifier, clock: Clock) -> None:
        self.sessions = sessions
        self.notifier = notifier
        self.clock = clock

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, self.notifier, self.clock)
