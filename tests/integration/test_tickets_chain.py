"""The audit trail is append-only and hash-chained: `contact-center tickets verify-chain` finds an
event edited behind the triggers' back, and says which one, with exit code 1."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from contact_center.core.http.keys import UOW
from contact_center.pqrd.domain.legal_clock import PqrdType
from contact_center.pqrd.domain.tickets import TicketStatus
from contact_center.pqrd.services import actions, tickets
from contact_center.pqrd.services.tickets import Actor, NewTicket
from tests.conftest import TEST_SECRET
from tests.support.server import CLI

SQLITE_UPDATE_TRIGGER = (
    "CREATE TRIGGER ticket_events_no_update BEFORE UPDATE ON ticket_events "
    "BEGIN SELECT RAISE(ABORT, 'ticket_events is append-only (UPDATE refused)'); END"
)


async def verify_chain(database_url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a thread, so the app under test keeps serving (and releasing locks)."""
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "DATA_DIR": str(tmp_path),
        "PATH": "/usr/bin",
    }
    command = [str(CLI), "tickets", "verify-chain", *args]
    return await asyncio.to_thread(
        subprocess.run, command, env=env, capture_output=True, text=True, timeout=60, check=False
    )


async def _file_with_history(client: TestClient[Any, Any]) -> str:
    new = NewTicket(PqrdType.QUEJA, "Ruido", "Ruido nocturno en el barrio.", "app")
    async with client.app[UOW]() as uow:
        filed = await tickets.file_ticket(uow, new, Actor("citizen"), secret=TEST_SECRET.encode())
        ticket = await tickets.ticket_by_radicado(uow, filed.radicado)
        await actions.assign(uow, ticket, 1, Actor("official", 1))
        await tickets.change_status(uow, ticket, TicketStatus.EN_TRAMITE, Actor("official", 1))
        await uow.commit()
    return filed.radicado


async def _tamper(client: TestClient[Any, Any], backend: str, radicado: str, seq: int) -> None:
    async with client.app[UOW]() as uow:
        s = uow.session
        where = "WHERE seq = :seq AND ticket_id = (SELECT id FROM tickets WHERE radicado = :r)"
        if backend == "postgres":
            await s.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            await s.execute(text("DROP TRIGGER ticket_events_no_update"))
        await s.execute(
            text(f"UPDATE ticket_events SET reason = 'editado' {where}"), {"seq": seq, "r": radicado}
        )
        if backend == "sqlite":
            await s.execute(text(SQLITE_UPDATE_TRIGGER))
        await uow.commit()


async def test_an_intact_chain_verifies_and_an_edited_event_is_found(
    backend: str, seeded: TestClient[Any, Any], database_url: str, tmp_path: Path
) -> None:
    first, second = await _file_with_history(seeded), await _file_with_history(seeded)
    ok = await verify_chain(database_url, tmp_path, "--all")
    assert ok.returncode == 0, ok.stderr
    assert "2 radicado(s), 6 evento(s)" in ok.stdout and "íntegra" in ok.stdout
    await _tamper(seeded, backend, second, seq=2)
    one = await verify_chain(database_url, tmp_path, first)
    assert one.returncode == 0 and "1 radicado(s), 3 evento(s)" in one.stdout
    broken = await verify_chain(database_url, tmp_path, second)
    assert broken.returncode == 1
    assert f"CADENA ROTA radicado {second}: el evento 2" in broken.stdout
    everything = await verify_chain(database_url, tmp_path, "--all")
    assert everything.returncode == 1 and everything.stdout.count("CADENA ROTA") == 1


async def test_the_database_refuses_to_edit_or_delete_events_directly(
    backend: str, seeded: TestClient[Any, Any]
) -> None:
    radicado = await _file_with_history(seeded)
    for statement in ("UPDATE ticket_events SET reason = 'x'", "DELETE FROM ticket_events"):
        async with seeded.app[UOW]() as uow:
            try:
                await uow.session.execute(text(statement))
                raise AssertionError(f"{statement} was accepted")
            except DBAPIError as exc:
                assert "append-only" in str(exc)
    async with seeded.app[UOW]() as uow:
        ticket = await tickets.ticket_by_radicado(uow, radicado)
        assert len(await tickets.ticket_events(uow, ticket.id)) == 3


async def test_verify_chain_of_an_unknown_radicado_explains_itself(
    backend: str, client: TestClient[Any, Any], database_url: str, tmp_path: Path
) -> None:
    result = await verify_chain(database_url, tmp_path, "2026999999")
    assert result.returncode == 1 and "ticket_not_found" in result.stderr
    result = await verify_chain(database_url, tmp_path, "abc")
    assert result.returncode == 1 and "invalid_radicado" in result.stderr
    assert "Traceback" not in result.stderr and not result.stdout
    usage = await verify_chain(database_url, tmp_path)  # neither a radicado nor --all
    assert usage.returncode == 2 and "usage:" in usage.stderr


async def test_api_filings_chain_verifies_and_every_copy_shows_the_real_radicado(
    seeded: TestClient[Any, Any], database_url: str, tmp_path: Path
) -> None:
    # On PostgreSQL the API takes the radicado in the filing's last statement and builds the
    # events' hashes and the stored answer in SQL: the chain and the replay must still hold it.
    body = {
        "type": "peticion",
        "subject": "Alumbrado «apagado» en la calle 18",
        "description": "Lleva una semana sin luz.",
        "citizen": {"name": "Ana Pérez", "document_type": "CC", "document_number": "1085123456"},
        "data_consent": True,
    }
    answers = []
    for key in ("k-1", "k-2"):
        resp = await seeded.post("/api/v1/pqrd", json=body, headers={"Idempotency-Key": key})
        assert resp.status == 201, await resp.text()
        answers.append(await resp.json())
    replay = await seeded.post("/api/v1/pqrd", json=body, headers={"Idempotency-Key": "k-2"})
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert await replay.json() == answers[1]
    assert int(answers[1]["radicado"]) == int(answers[0]["radicado"]) + 1
    ok = await verify_chain(database_url, tmp_path, "--all")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "2 radicado(s), 4 evento(s)" in ok.stdout
    for answer in answers:
        async with seeded.app[UOW]() as uow:
            ticket = await tickets.ticket_by_radicado(uow, answer["radicado"])
            events = await tickets.ticket_events(uow, ticket.id)
            assert events[0].data["radicado"] == answer["radicado"]
            assert f"número {answer['radicado']}." in events[1].data["text"]
