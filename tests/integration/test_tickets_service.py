"""Filing PQRDs through the tickets service, on SQLite and PostgreSQL: radicados, access codes,
legal due dates, the hash-chained audit trail and events sent only after commit."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from contact_center.core.db.models import BusinessClosure, Ticket, TicketEvent
from contact_center.core.errors import Conflict, InvalidInput
from contact_center.core.http.keys import UOW
from contact_center.core.notifier import RecordingNotifier
from contact_center.core.uow import UnitOfWorkFactory
from contact_center.pqrd.domain.legal_clock import PqrdType
from contact_center.pqrd.domain.tickets import TicketStatus, event_hash
from contact_center.pqrd.services import tickets
from contact_center.pqrd.services.chain import event_payload
from contact_center.pqrd.services.tickets import Actor, NewTicket
from tests.conftest import TEST_SECRET

SECRET = TEST_SECRET.encode()
CITIZEN = Actor("citizen")
PETICION = NewTicket(PqrdType.PETICION, "Hueco en la carrera 27", "Hay un hueco profundo.", "web")


@pytest.fixture
def recorder(seeded: TestClient[Any, Any]) -> tuple[UnitOfWorkFactory, RecordingNotifier]:
    app_uow = seeded.app[UOW]
    notifier = RecordingNotifier()
    return UnitOfWorkFactory(app_uow.sessions, notifier, app_uow.clock), notifier


async def _file(uow_factory: UnitOfWorkFactory, new: NewTicket = PETICION) -> tickets.FiledTicket:
    async with uow_factory() as uow:
        filed = await tickets.file_ticket(uow, new, CITIZEN, secret=SECRET)
        await uow.commit()
    return filed


async def test_filing_gives_consecutive_radicados_a_code_and_the_legal_due_date(
    backend: str, recorder: tuple[UnitOfWorkFactory, RecordingNotifier]
) -> None:
    uow_factory, _ = recorder
    first, second = await _file(uow_factory), await _file(uow_factory)
    assert (first.radicado, second.radicado) == ("2026000001", "2026000002")
    # Filed Monday 2026-11-23; day 1 is the 24th; 8 December is a holiday: 15th business day is 15 Dec.
    assert first.received_on == date(2026, 11, 23) and first.due_date == date(2026, 12, 15)
    assert first.status is TicketStatus.RADICADO and first.filed_at.tzinfo is not None
    assert len(first.access_code) == 8 and first.access_code != second.access_code
    async with uow_factory() as uow:
        ticket = await tickets.ticket_by_radicado(uow, first.radicado)
        assert ticket.access_code_hash != first.access_code and len(ticket.access_code_hash) == 64
        assert tickets.access_code_matches(ticket, first.access_code.lower(), SECRET)
        assert not tickets.access_code_matches(ticket, second.access_code, SECRET)
        assert ticket.term_days == 15 and ticket.clock["suspensions"] == []


async def test_a_rolled_back_filing_gives_its_number_back(
    backend: str, recorder: tuple[UnitOfWorkFactory, RecordingNotifier]
) -> None:
    uow_factory, notifier = recorder
    async with uow_factory() as uow:
        lost = await tickets.file_ticket(uow, PETICION, CITIZEN, secret=SECRET)
        # leaving without commit rolls back
    assert lost.radicado == "2026000001" and notifier.published == []
    kept = await _file(uow_factory)
    assert kept.radicado == "2026000001"


async def test_the_first_event_is_hash_chained_and_rehashes_the_same_after_reading_back(
    backend: str, recorder: tuple[UnitOfWorkFactory, RecordingNotifier]
) -> None:
    uow_factory, _ = recorder
    filed = await _file(uow_factory)
    async with uow_factory() as uow:
        ticket = await tickets.ticket_by_radicado(uow, filed.radicado, for_update=True)
        await tickets.change_status(uow, ticket, TicketStatus.DESISTIDO, CITIZEN, reason="Ya no lo necesito")
        await uow.commit()
    async with uow_factory() as uow:
        events = await tickets.ticket_events(uow, filed.id)
        _check_chain(events)


def _check_chain(events: list[TicketEvent]) -> None:
    assert [(e.seq, e.kind, e.to_status) for e in events] == [
        (1, "filed", "radicado"),
        (2, "status_changed", "desistido"),
    ]
    assert events[0].prev_hash is None and events[1].prev_hash == events[0].hash
    for event in events:
        assert event.at.tzinfo is not None
        assert event.hash == event_hash(event.prev_hash, event_payload(event))
    assert events[0].data["due_date"] == "2026-12-15" and events[1].reason == "Ya no lo necesito"


async def test_an_impossible_transition_is_refused_and_changes_nothing(
    backend: str, recorder: tuple[UnitOfWorkFactory, RecordingNotifier]
) -> None:
    uow_factory, _ = recorder
    filed = await _file(uow_factory)
    async with uow_factory() as uow:
        ticket = await tickets.ticket_by_radicado(uow, filed.radicado)
        with pytest.raises(Conflict) as refused:
            await tickets.change_status(uow, ticket, TicketStatus.CERRADO, CITIZEN)
    assert refused.value.code == "invalid_transition" and refused.value.status == 409
    async with uow_factory() as uow:
        ticket = await tickets.ticket_by_radicado(uow, filed.radicado)
        assert ticket.status == "radicado"
        assert len(await tickets.ticket_events(uow, filed.id)) == 1


async def test_ticket_updated_goes_to_the_dependencia_officials_and_supervisors_after_commit(
    backend: str, recorder: tuple[UnitOfWorkFactory, RecordingNotifier]
) -> None:
    uow_factory, notifier = recorder
    filed = await _file(uow_factory)
    rooms = {(e.namespace, e.room) for e in notifier.published if e.name == "ticket.updated"}
    assert ("/supervisors", "supervisors") in rooms
    # The triage dependencia (Atención al Ciudadano) holds admin, supervisor and agente1.
    assert len([r for r in rooms if r[0] == "/agents"]) == 3
    assert all(e.payload["radicado"] == filed.radicado for e in notifier.published)


async def test_a_recorded_closure_day_moves_the_due_date(
    backend: str, recorder: tuple[UnitOfWorkFactory, RecordingNotifier]
) -> None:
    uow_factory, _ = recorder
    async with uow_factory() as uow:
        uow.session.add(BusinessClosure(day=date(2026, 12, 1), reason="Decreto", created_at=uow.clock.now()))
        await uow.commit()
    filed = await _file(uow_factory)
    assert filed.due_date == date(2026, 12, 16)


async def test_old_records_keep_their_year_and_naive_datetimes_are_refused(
    backend: str, recorder: tuple[UnitOfWorkFactory, RecordingNotifier]
) -> None:
    uow_factory, _ = recorder
    old = NewTicket(
        PqrdType.CONSULTA, "Consulta", "Texto", "import", filed_at=datetime(2025, 3, 3, 14, tzinfo=UTC)
    )
    filed = await _file(uow_factory, old)
    assert filed.radicado == "2025000001" and filed.due_date == date(2025, 4, 15)
    naive = NewTicket(PqrdType.QUEJA, "Queja", "Texto", "import", filed_at=datetime(2025, 3, 3, 14))
    with pytest.raises(InvalidInput) as refused:
        await _file(uow_factory, naive)
    assert refused.value.code == "naive_datetime"
    async with uow_factory() as uow:
        count = len((await uow.session.scalars(select(Ticket))).all())
        assert count == 1 and len((await uow.session.scalars(select(TicketEvent))).all()) == 1
