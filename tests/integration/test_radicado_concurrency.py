"""Concurrent filings, each in its own unit of work on a real engine, get distinct consecutive
radicados; filings that roll back give their numbers back, so the year's sequence has no gaps."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import func, select

from contact_center.core.clock import FakeClock
from contact_center.core.db.engine import create_engine, session_factory
from contact_center.core.db.models import (
    Dependencia,
    IdempotencyRecord,
    RadicadoSequence,
    TicketEvent,
)
from contact_center.core.http import idempotency
from contact_center.core.notifier import RecordingNotifier
from contact_center.core.uow import UnitOfWork, UnitOfWorkFactory
from contact_center.pqrd.domain.legal_clock import PqrdType
from contact_center.pqrd.services import tickets
from contact_center.pqrd.services.numbering import LateNumbering
from contact_center.pqrd.services.tickets import Actor, NewTicket
from tests.conftest import START, TEST_SECRET

NEW = NewTicket(PqrdType.PETICION, "Alumbrado", "Poste sin luz en la calle 18.", "web")


class Abandoned(Exception):
    """A filing that fails after taking its number (the transaction rolls back)."""


async def _file(factory: UnitOfWorkFactory, abandon: bool) -> str | None:
    async with factory() as uow:
        filed = await tickets.file_ticket(uow, NEW, Actor("citizen"), secret=TEST_SECRET.encode())
        # Hold the transaction open a little so filings really overlap on the sequence row.
        await asyncio.sleep(random.uniform(0, 0.02))
        if abandon:
            return None  # leaving without commit rolls back, number included
        await uow.commit()
        return filed.radicado


@asynccontextmanager
async def _triage_office(database_url: str) -> AsyncIterator[UnitOfWorkFactory]:
    """Units of work on their own engine, with a pool for 60 concurrent filings, and the one
    dependencia a new filing goes to."""
    engine = create_engine(database_url, pool_size=30)
    try:
        factory = UnitOfWorkFactory(session_factory(engine), RecordingNotifier(), FakeClock(START))
        async with factory() as uow:
            uow.session.add(Dependencia(code="atencion", name="Atención al Ciudadano", is_triage=True))
            await uow.commit()
        yield factory
    finally:
        await engine.dispose()


def _abandon_plan() -> list[bool]:
    """Which of 60 filings roll back: 10, at random places among the 50 that commit."""
    abandon = [False] * 50 + [True] * 10
    random.shuffle(abandon)
    return abandon


async def test_concurrent_filings_get_distinct_consecutive_gap_free_radicados(
    backend: str, database_url: str
) -> None:
    async with _triage_office(database_url) as factory:
        results = await asyncio.gather(*(_file(factory, a) for a in _abandon_plan()))
        radicados = sorted(r for r in results if r is not None)
        assert radicados == [f"2026{n:06d}" for n in range(1, 51)]
        async with factory() as uow:
            sequence = await uow.session.get(RadicadoSequence, 2026)
            assert sequence is not None and sequence.last_value == 50
            events = await uow.session.scalar(select(func.count()).select_from(TicketEvent))
            assert events == 50


async def _file_once(factory: UnitOfWorkFactory, key: str, abandon: bool) -> str | None:
    """Through `idempotency.once`, as the API files: on PostgreSQL the number is taken last."""

    numbering = LateNumbering()

    async def effect(uow: UnitOfWork) -> tuple[int, Any]:
        row = await tickets.file_ticket_row(
            uow, NEW, Actor("citizen"), secret=TEST_SECRET.encode(), number_at_end=True
        )
        await row.trail.write(uow.session, row.pending)
        await asyncio.sleep(random.uniform(0, 0.02))
        if abandon:
            raise Abandoned  # the transaction rolls back before the number is taken
        return 201, numbering.hold(row.filed, row.pending, lambda filed: {"radicado": filed.radicado})

    try:
        outcome = await idempotency.once(factory, idempotency.Claim("test", key), "hash", effect, numbering)
    except Abandoned:
        return None
    radicado: str = outcome.json()["radicado"]
    return radicado


async def test_filings_that_take_their_number_last_stay_gap_free_and_answer_it(
    backend: str, database_url: str
) -> None:
    async with _triage_office(database_url) as factory:
        plan = enumerate(_abandon_plan())
        results = await asyncio.gather(*(_file_once(factory, f"k{i}", a) for i, a in plan))
        radicados = sorted(r for r in results if r is not None)
        assert radicados == [f"2026{n:06d}" for n in range(1, 51)]
        async with factory() as uow:
            stored = (await uow.session.scalars(select(IdempotencyRecord.body))).all()
            assert sorted(json.loads(body)["radicado"] for body in stored) == radicados
            events = await uow.session.scalar(select(func.count()).select_from(TicketEvent))
            assert events == 50
