"""Importing the city's old PQRD records from CSV: all or nothing, original dates, no duplicates.

The fake clock stands on Monday 2026-11-23, 10:00 in Bogotá. Due dates of tests/fixtures/import/good.csv,
counted by hand on the Colombian calendar (12 October 2026 is a national holiday):
- OLD-2026-0101, peticion (15), received Thu 2026-10-01: Oct 2, 5-9, 13-16, 19-23 -> 2026-10-23, overdue.
- OLD-2026-0102, peticion_documentos (10), received Fri 2026-11-20: Nov 23-27, 30, Dec 1-4 -> 2026-12-04.
- OLD-2026-0103, queja (15), received Mon 2026-11-23 (14:00 UTC): Nov 24-27, 30, Dec 1-4, 7, 9-11,
  14, 15 -> 2026-12-15 (8 December is a holiday).
- OLD-2025-0999 was closed in the old system: skipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import FormData
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from contact_center.core.db.models import CitizenIdentity, Dependencia, Ticket, TicketEvent
from contact_center.core.http.keys import UOW
from tests.conftest import login
from tests.support.server import ServerProcess

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
URL = "/api/v1/admin/tickets/import"
ADMIN = "admin@demo.pasto.gov.co"


async def _auth(client: TestClient[Any, Any], who: str = ADMIN) -> dict[str, str]:
    return {"Authorization": f"Bearer {await login(client, who)}"}


async def _upload(client: TestClient[Any, Any], name: str, query: str = "") -> Any:
    form = FormData()
    form.add_field("file", (FIXTURES / name).read_bytes(), filename=name, content_type="text/csv")
    return await client.post(URL + query, data=form, headers=await _auth(client))


async def _count(client: TestClient[Any, Any], column: Any) -> int:
    async with client.app[UOW]() as uow:
        return int(await uow.session.scalar(select(func.count(column))) or 0)


async def test_a_good_file_imports_every_open_record_with_due_dates_from_the_original_date(
    seeded: TestClient[Any, Any],
) -> None:
    resp = await _upload(seeded, "good.csv")
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert (body["rows"], body["dry_run"]) == (4, False)
    due = {r["original_radicado"]: (r["row"], r["due_date"], r["overdue"]) for r in body["imported"]}
    assert due == {
        "OLD-2026-0101": (2, "2026-10-23", True),
        "OLD-2026-0102": (3, "2026-12-04", False),
        "OLD-2026-0103": (4, "2026-12-15", False),
    }
    assert body["skipped"] == [
        {
            "row": 5,
            "original_radicado": "OLD-2025-0999",
            "reason": "Cerrado en el sistema anterior (cerrado).",
        }
    ]
    async with seeded.app[UOW]() as uow:
        rows = (
            await uow.session.execute(
                select(
                    TicketEvent.data["original_radicado"].as_string(),
                    Ticket.channel,
                    Ticket.status,
                    Dependencia.code,
                    Ticket.radicado,
                    Ticket.filed_at,
                    Ticket.citizen_id,
                    Ticket.anonymous,
                    Ticket.pqrd_type,
                )
                .join(TicketEvent, (TicketEvent.ticket_id == Ticket.id) & (TicketEvent.seq == 1))
                .join(Dependencia, Dependencia.id == Ticket.dependencia_id)
                .order_by(Ticket.filed_at)
            )
        ).all()
        identities = set(
            (await uow.session.execute(select(CitizenIdentity.kind, CitizenIdentity.value))).all()
        )
    tickets = {row[0]: row[1:] for row in rows}
    channel, status, dep, radicado, filed_at, citizen_id, _, _ = tickets["OLD-2026-0101"]
    assert (channel, status, dep, radicado[:4]) == ("import", "radicado", "transito", "2026")
    assert filed_at.isoformat() == "2026-10-01T14:30:00+00:00" and citizen_id is not None
    assert tickets["OLD-2026-0102"][2] == "atencion_ciudadano"
    assert tickets["OLD-2026-0102"][5:7] == (None, True)  # anonymous: no citizen
    assert tickets["OLD-2026-0103"][7] == "queja"
    assert {
        ("document", "CC:1085123456"),
        ("email", "ana@example.co"),
        ("phone", "+573001234567"),
    } <= identities


async def test_a_file_with_bad_rows_reports_each_one_and_imports_nothing(
    seeded: TestClient[Any, Any],
) -> None:
    resp = await _upload(seeded, "bad.csv")
    assert resp.status == 422
    body = await resp.json()
    assert body["error"]["code"] == "import_rejected"
    found = {(e["row"], e["column"]) for e in body["errors"]}
    assert found == {
        (3, "tipo"),
        (4, "fecha_radicacion"),
        (5, "dependencia"),
        (5, "correo"),
        (6, "radicado_original"),
        (7, "nombre"),
        (8, "fecha_radicacion"),
        (9, "asunto"),
        (9, "anonimo"),
    }
    messages = {(e["row"], e["column"]): e["message"] for e in body["errors"]}
    assert messages[(6, "radicado_original")] == "Repetido: ya aparece en la fila 2."
    assert "bomberos" in messages[(5, "dependencia")]
    assert await _count(seeded, Ticket.id) == 0


async def test_reimporting_the_same_file_changes_nothing(seeded: TestClient[Any, Any]) -> None:
    assert (await _upload(seeded, "good.csv")).status == 200
    tickets, events = await _count(seeded, Ticket.id), await _count(seeded, TicketEvent.id)
    again = await (await _upload(seeded, "good.csv")).json()
    assert again["imported"] == [] and len(again["skipped"]) == 4
    assert again["skipped"][0]["reason"].startswith("Ya importado como 2026")
    assert (
        (await _count(seeded, Ticket.id), await _count(seeded, TicketEvent.id)) == (tickets, events) == (3, 3)
    )


async def test_dry_run_reports_due_dates_and_imports_nothing(seeded: TestClient[Any, Any]) -> None:
    body = await (await _upload(seeded, "good.csv", "?dry_run=true")).json()
    assert body["dry_run"] is True and len(body["imported"]) == 3
    assert {r["radicado"] for r in body["imported"]} == {None}
    assert body["imported"][0]["due_date"] == "2026-10-23"
    assert await _count(seeded, Ticket.id) == 0


async def test_only_admins_import_and_the_upload_must_be_csv(seeded: TestClient[Any, Any]) -> None:
    sup = await _auth(seeded, "supervisor@demo.pasto.gov.co")
    resp = await seeded.post(URL, data=b"x", headers={**sup, "Content-Type": "text/csv"})
    assert resp.status == 403
    admin = await _auth(seeded)
    resp = await seeded.post(URL, json={"rows": []}, headers=admin)
    assert resp.status == 415 and (await resp.json())["error"]["code"] == "unsupported_media_type"
    raw = (FIXTURES / "good.csv").read_bytes()
    resp = await seeded.post(URL, data=raw, headers={**admin, "Content-Type": "text/csv"})
    assert resp.status == 200 and len((await resp.json())["imported"]) == 3
    header_only = b"radicado_original,tipo,asunto,descripcion,fecha_radicacion,color\n"
    resp = await seeded.post(URL, data=header_only, headers={**admin, "Content-Type": "text/csv"})
    assert (await resp.json())["errors"] == [
        {"row": 1, "column": "color", "message": "Columna desconocida: «color»."}
    ]


def test_cli_imports_prints_a_report_and_exits_1_on_errors(tmp_path: Path) -> None:
    server = ServerProcess({"DATA_DIR": str(tmp_path / "var")})
    assert server.run_cli("seed-demo", "--allow-demo-accounts").returncode == 0
    bad = server.run_cli("tickets", "import", str(FIXTURES / "bad.csv"))
    assert bad.returncode == 1
    assert "ERROR fila 3, columna tipo: Tipo desconocido: «tutela»." in bad.stdout
    assert "no se importó ningún registro" in bad.stdout
    dry = server.run_cli("tickets", "import", "--dry-run", str(FIXTURES / "good.csv"))
    assert dry.returncode == 0 and "3 se importarían" in dry.stdout, dry.stdout + dry.stderr
    good = server.run_cli("tickets", "import", str(FIXTURES / "good.csv"))
    assert good.returncode == 0, good.stdout + good.stderr
    assert "OLD-2026-0101 -> 2026" in good.stdout and "vence 2026-10-23 VENCIDO" in good.stdout
    again = server.run_cli("tickets", "import", str(FIXTURES / "good.csv"))
    assert "0 importados" in again.stdout and "4 omitidos" in again.stdout
