"""A large CSV import (2,000 rows over two years) files every row as a single filing would.

Each row's due date is the one the public deadline API gives for its type and original instant
(holidays and a closure day recorded by the administrator included); radicados are consecutive
per year of receipt in the order of the file; citizens are found or created by the filing rules
(the typed e-mail joins its holder, after merges; a document number joins nothing); every
"filed" event's hash chain verifies with `contact-center tickets verify-chain`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from contact_center.core.db.models import CitizenIdentity, Dependencia, Ticket, TicketEvent
from contact_center.core.http.keys import UOW
from contact_center.pqrd.models.imports import TicketImport
from tests.conftest import login
from tests.integration.test_tickets_chain import verify_chain

ROWS = 2_000
FIRST_DAY = date(2025, 11, 1)  # to 2026-05-19: Christmas, New Year, Reyes, Carnaval, Semana Santa
TYPES = ("peticion", "peticion_documentos", "consulta")
DEPENDENCIAS = ("", "transito", "salud", "hacienda")
COLUMNS = (
    *("radicado_original", "tipo", "asunto", "descripcion", "fecha_radicacion", "dependencia"),
    *("nombre", "numero_documento", "correo", "telefono", "estado", "anonimo"),
)
EARLIER = "previa@example.co"  # a citizen who filed through the portal before the import


def _row(n: int) -> tuple[str, str]:
    """One CSV line and its filing instant as the deadline API takes it."""
    day = FIRST_DAY + timedelta(days=n * 7 % 200)
    hour = 8 + n % 9
    pqrd_type = TYPES[n % len(TYPES)]
    name = number = email = phone = anonymous = ""
    match n % 5:
        case 0:
            anonymous = "sí"
        case 1:
            name, email = f"Vecino {n % 40}", f"vecino{n % 40}@example.co"
        case 2:
            name, number = f"Persona {n}", str(50_000_000 + n % 100)
        case 3:
            name, email = "Previa", EARLIER.upper()
        case _:
            name, phone = f"Persona {n}", f"300{n:07d}"
    fields = [
        f"HIST-{n:05d}",
        pqrd_type,
        f"Asunto {n}",
        f"Descripción del registro {n}",
        f"{day} {hour:02d}:15",
        DEPENDENCIAS[n % len(DEPENDENCIAS)],
        name,
        number,
        email,
        phone,
        "pendiente",
        anonymous,
    ]
    return ";".join(fields), f"{day}T{hour:02d}:15:00-05:00"


def _csv() -> bytes:
    header = ";".join(COLUMNS)
    return ("\n".join([header, *(_row(n)[0] for n in range(ROWS))]) + "\n").encode()


async def _expected_due_dates(client: TestClient[Any, Any]) -> dict[str, str]:
    """Original radicado -> due date, from GET /api/v1/pqrd/deadline (asked once per type and instant)."""
    answers: dict[tuple[str, str], str] = {}
    due = {}
    for n in range(ROWS):
        pqrd_type, filed_at = TYPES[n % len(TYPES)], _row(n)[1]
        if (pqrd_type, filed_at) not in answers:
            params = {"type": pqrd_type, "filed_at": filed_at}
            resp = await client.get("/api/v1/pqrd/deadline", params=params)
            assert resp.status == 200, await resp.text()
            answers[pqrd_type, filed_at] = (await resp.json())["due_date"]
        due[f"HIST-{n:05d}"] = answers[pqrd_type, filed_at]
    return due


async def _earlier_filing(client: TestClient[Any, Any]) -> str:
    body = {
        "type": "peticion",
        "subject": "Alumbrado",
        "description": "Poste apagado.",
        "citizen": {"name": "Previa", "email": EARLIER},
        "anonymous": False,
        "data_consent": True,
    }
    resp = await client.post("/api/v1/pqrd", json=body)
    assert resp.status == 201, await resp.text()
    radicado: str = (await resp.json())["radicado"]
    return radicado


async def test_two_thousand_rows_land_with_their_due_dates_radicados_citizens_and_chain(
    seeded: TestClient[Any, Any], database_url: str, tmp_path: Path
) -> None:
    admin = {"Authorization": f"Bearer {await login(seeded, 'admin@demo.pasto.gov.co')}"}
    closure = {"day": "2026-01-05", "reason": "Carnaval de Negros y Blancos (decreto)"}  # a Monday
    assert (await seeded.post("/api/v1/admin/closures", json=closure, headers=admin)).status == 201
    earlier = await _earlier_filing(seeded)
    assert earlier == "2026000001"

    resp = await seeded.post(
        "/api/v1/admin/tickets/import",
        data=_csv(),
        headers={**admin, "Content-Type": "text/csv", "X-Filename": "historico.csv"},
    )
    assert resp.status == 200, await resp.text()
    report = await resp.json()
    assert (report["rows"], len(report["imported"]), report["skipped"]) == (ROWS, ROWS, [])

    expected = await _expected_due_dates(seeded)
    assert {r["original_radicado"]: r["due_date"] for r in report["imported"]} == expected
    async with seeded.app[UOW]() as uow:
        stored = (
            await uow.session.execute(
                select(
                    TicketImport.original_radicado,
                    TicketImport.source_row,
                    Ticket.radicado,
                    Ticket.due_date,
                    Ticket.received_on,
                    Ticket.citizen_id,
                    Ticket.channel,
                    Dependencia.code,
                    TicketEvent.data["original_radicado"].as_string(),
                )
                .join(Ticket, Ticket.id == TicketImport.ticket_id)
                .join(Dependencia, Dependencia.id == Ticket.dependencia_id)
                .join(TicketEvent, (TicketEvent.ticket_id == Ticket.id) & (TicketEvent.seq == 1))
                .order_by(TicketImport.source_row)
            )
        ).all()
        documents = dict(
            (
                await uow.session.execute(
                    select(CitizenIdentity.value, CitizenIdentity.citizen_id).where(
                        CitizenIdentity.kind == "document"
                    )
                )
            ).all()
        )
        earlier_citizen = await uow.session.scalar(
            select(Ticket.citizen_id).where(Ticket.radicado == earlier)
        )
        events = await uow.session.scalar(select(func.count(TicketEvent.id)))
    assert len(stored) == ROWS and events is not None
    assert {row.original_radicado: row.due_date.isoformat() for row in stored} == expected
    assert all(row.channel == "import" and row[-1] == row.original_radicado for row in stored)
    assert {row.code for row in stored} == {"atencion_ciudadano", "transito", "salud", "hacienda"}

    # Radicados: consecutive within each year of receipt, in the order of the file.
    by_year: dict[int, list[int]] = defaultdict(list)
    for row in stored:
        assert row.radicado[:4] == str(row.received_on.year)
        by_year[row.received_on.year].append(int(row.radicado[4:]))
    assert set(by_year) == {2025, 2026}
    assert by_year[2025] == list(range(1, len(by_year[2025]) + 1))
    assert by_year[2026] == list(range(2, len(by_year[2026]) + 2))  # 1 is the earlier filing

    # Citizens, by the filing rules.
    citizen = {int(row.original_radicado[5:]): row.citizen_id for row in stored}
    assert all(citizen[n] is None for n in range(0, ROWS, 5))  # anonymous
    assert {citizen[n] for n in range(3, ROWS, 5)} == {earlier_citizen}  # the e-mail's holder
    neighbours: dict[int, set[int]] = defaultdict(set)
    for n in range(1, ROWS, 5):
        neighbours[n % 40].add(citizen[n])
    assert all(len(ids) == 1 for ids in neighbours.values())  # one citizen per e-mail
    assert len({next(iter(ids)) for ids in neighbours.values()} | {earlier_citizen}) == 9
    with_document = list(range(2, ROWS, 5))
    assert len({citizen[n] for n in with_document}) == len(with_document)  # a document joins nothing
    first_claim = {}
    for n in with_document:
        first_claim.setdefault(f"CC:{50_000_000 + n % 100}", citizen[n])
    assert documents == first_claim  # the first row to claim a number keeps it

    chain = await verify_chain(database_url, tmp_path, "--all")
    assert chain.returncode == 0, chain.stdout + chain.stderr
    assert f"{ROWS + 1} radicado(s), {events} evento(s)" in chain.stdout and "íntegra" in chain.stdout


async def test_a_bad_last_row_of_a_large_file_imports_nothing(seeded: TestClient[Any, Any]) -> None:
    admin = {"Authorization": f"Bearer {await login(seeded, 'admin@demo.pasto.gov.co')}"}
    data = _csv() + b"HIST-99999;tutela;Asunto;Descripcion;2026-01-05 09:00;;;;;;;\n"
    resp = await seeded.post(
        "/api/v1/admin/tickets/import", data=data, headers={**admin, "Content-Type": "text/csv"}
    )
    assert resp.status == 422
    assert [(e["row"], e["column"]) for e in (await resp.json())["errors"]] == [(ROWS + 2, "tipo")]
    async with seeded.app[UOW]() as uow:
        assert await uow.session.scalar(select(func.count(Ticket.id))) == 0
        assert await uow.session.scalar(select(func.count(CitizenIdentity.id))) == 0


async def test_an_imported_e_mail_held_by_a_merged_record_joins_the_surviving_citizen(
    seeded: TestClient[Any, Any],
) -> None:
    async def file_with(email: str) -> int:
        body = {
            "type": "peticion",
            "subject": "Alumbrado",
            "description": "Poste apagado.",
            "citizen": {"name": "Ana Pérez", "email": email},
            "anonymous": False,
            "data_consent": True,
        }
        resp = await seeded.post("/api/v1/pqrd", json=body)
        assert resp.status == 201, await resp.text()
        async with seeded.app[UOW]() as uow:
            radicado = (await resp.json())["radicado"]
            found = await uow.session.scalar(select(Ticket.citizen_id).where(Ticket.radicado == radicado))
        assert found is not None
        return found

    duplicate, survivor = await file_with("ana.vieja@example.co"), await file_with("ana@example.co")
    supervisor = {"Authorization": f"Bearer {await login(seeded, 'supervisor@demo.pasto.gov.co')}"}
    body = {"into": survivor, "reason": "Misma persona: cédula verificada en ventanilla."}
    merged = await seeded.post(f"/api/v1/citizens/{duplicate}/merge", json=body, headers=supervisor)
    assert merged.status == 200, await merged.text()

    admin = {"Authorization": f"Bearer {await login(seeded, 'admin@demo.pasto.gov.co')}"}
    data = (
        ";".join(COLUMNS)
        + "\nHIST-1;peticion;Asunto;Descripción;2026-03-02 09:00;;Ana;;ana.vieja@example.co;;;no\n"
    ).encode()
    resp = await seeded.post(
        "/api/v1/admin/tickets/import", data=data, headers={**admin, "Content-Type": "text/csv"}
    )
    assert resp.status == 200, await resp.text()
    async with seeded.app[UOW]() as uow:
        imported = await uow.session.scalar(
            select(Ticket.citizen_id)
            .join(TicketImport, TicketImport.ticket_id == Ticket.id)
            .where(TicketImport.original_radicado == "HIST-1")
        )
    assert imported == survivor
