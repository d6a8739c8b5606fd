"""PQRD reports: exact figures for tickets filed and moved through the ticket service at chosen instants.

The calendar of the scenario (America/Bogota): Monday 2026-11-23 onwards, with Friday 2026-11-27
recorded as a local closure day and Tuesday 2026-12-08 a national holiday. Business days after
2026-11-23: 24, 25, 26, 30 Nov, then 1, 2, 3, 4, 7, 9, 10, 11, 14, 15, 16, 17, 18... Dec.

| # | type                | channel | dependencia | received   | what happens                          |
|---|---------------------|---------|-------------|------------|---------------------------------------|
| 1 | peticion            | web     | transito    | 2026-11-23 | answered 12-02 (6 bd, due 12-16) ok   |
| 2 | peticion_documentos | web     | hacienda    | 2026-11-23 | answered 12-10, access denied (11 bd, |
|   |                     |         |             |            | due 12-09): late                      |
| 3 | queja               | voice   | transito    | 2026-11-24 | assigned only; due 12-17: overdue     |
| 4 | peticion_documentos | app     | hacienda    | 2026-11-24 | forwarded to another entity           |
| 5 | peticion            | web     | salud       | 2026-11-25 | extended on 12-01 to 12-23            |
| 6 | consulta            | chat    | salud       | 2026-11-25 | withdrawn (desistido)                 |
| 7 | peticion            | web     | transito    | 2026-11-30 | filed 23:30 Bogotá (12-01 UTC); open  |
| - | peticion            | web     | transito    | 2026-11-20 | outside the period                    |

The report is made on 2026-12-18 for receipt dates 2026-11-23 .. 2026-12-31.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from contact_center.core.clock import BOGOTA, FakeClock
from contact_center.core.db.models import Official, Ticket
from contact_center.core.http.keys import UOW
from contact_center.core.uow import UnitOfWork
from contact_center.pqrd.domain.legal_clock import PqrdType
from contact_center.pqrd.services import actions, tickets
from contact_center.pqrd.services.calendar_admin import add_closure
from contact_center.pqrd.services.tickets import Actor, NewTicket
from tests.conftest import login

SUPERVISOR = "supervisor@demo.pasto.gov.co"
ADMIN = "admin@demo.pasto.gov.co"
AGENT = "agente1@demo.pasto.gov.co"
CITIZEN = Actor("citizen")
REPORT_URL = "/api/v1/reports/pqrd?from=2026-11-23&to=2026-12-31&group_by=week"


def at(day: str, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=BOGOTA)


class Scenario:
    def __init__(self, client: TestClient[Any, Any], clock: FakeClock) -> None:
        self.client, self.clock = client, clock
        self.official: Actor = Actor("system")

    async def run(self, when: datetime, action: Callable[[UnitOfWork], Awaitable[Any]]) -> Any:
        self.clock.set(when)
        async with self.client.app[UOW]() as uow:
            result = await action(uow)
            await uow.commit()
            return result

    async def file(self, when: datetime, pqrd_type: PqrdType, channel: str, dependencia: str) -> int:
        new = NewTicket(pqrd_type, "Asunto de prueba", "Descripción de prueba", channel, dependencia)

        async def go(uow: UnitOfWork) -> int:
            return (await tickets.file_ticket(uow, new, CITIZEN, secret=b"k")).id

        ticket_id: int = await self.run(when, go)
        return ticket_id

    async def act(
        self, when: datetime, ticket_id: int, step: Callable[..., Awaitable[None]], **kw: Any
    ) -> None:
        async def go(uow: UnitOfWork) -> None:
            ticket = await uow.session.get(Ticket, ticket_id)
            assert ticket is not None
            if step is actions.assign:
                await step(uow, ticket, self.official.id, self.official)
            else:
                await step(uow, ticket, self.official, **kw)

        await self.run(when, go)


async def build_scenario(client: TestClient[Any, Any], clock: FakeClock) -> Scenario:
    s = Scenario(client, clock)

    async def agent_id(uow: UnitOfWork) -> int:
        return int((await uow.session.scalars(select(Official.id).where(Official.email == AGENT))).one())

    s.official = Actor("official", await s.run(at("2026-11-20"), agent_id))
    await s.run(at("2026-11-20"), lambda uow: add_closure(uow, date(2026, 11, 27), "Decreto 0999", None))
    await s.file(at("2026-11-20"), PqrdType.PETICION, "web", "transito")  # before the period
    t1 = await s.file(at("2026-11-23"), PqrdType.PETICION, "web", "transito")
    t2 = await s.file(at("2026-11-23", 11), PqrdType.PETICION_DOCUMENTOS, "web", "hacienda")
    t3 = await s.file(at("2026-11-24", 9), PqrdType.QUEJA, "voice", "transito")
    t4 = await s.file(at("2026-11-24"), PqrdType.PETICION_DOCUMENTOS, "app", "hacienda")
    t5 = await s.file(at("2026-11-25"), PqrdType.PETICION, "web", "salud")
    t6 = await s.file(at("2026-11-25"), PqrdType.CONSULTA, "chat", "salud")
    await s.file(at("2026-11-30", 23, 30), PqrdType.PETICION, "web", "transito")
    for ticket_id in (t1, t2, t5):
        await s.act(at("2026-11-24", 8), ticket_id, actions.assign)
        await s.act(at("2026-11-24", 8), ticket_id, actions.start_work)
    await s.act(at("2026-11-24", 8), t3, actions.assign)
    await s.act(
        at("2026-11-25", 15), t4, actions.forward, authority="Gobernación de Nariño", reason="Competencia"
    )
    await s.act(at("2026-11-26"), t6, actions.desist, reason="El ciudadano retiró la consulta")
    await s.act(
        at("2026-12-01"), t5, actions.extend, new_due_date=date(2026, 12, 23), reasons="Visita técnica"
    )
    await s.act(at("2026-12-02", 16), t1, actions.answer, text="Respuesta de fondo")
    await s.act(at("2026-12-03"), t1, actions.close)
    await s.act(at("2026-12-10", 17), t2, actions.answer, text="Información reservada", access_denied=True)
    clock.set(at("2026-12-18"))
    return s


@pytest.fixture
async def scenario(seeded: TestClient[Any, Any], clock: FakeClock, backend: str) -> TestClient[Any, Any]:
    await build_scenario(seeded, clock)
    return seeded


async def _get(client: TestClient[Any, Any], url: str, who: str = SUPERVISOR) -> Any:
    resp = await client.get(url, headers={"Authorization": f"Bearer {await login(client, who)}"})
    return resp


def _figures(**kw: Any) -> dict[str, Any]:
    base = dict.fromkeys(
        [
            "received",
            "answered",
            "answered_on_time",
            "answered_late",
            "pending",
            "pending_overdue",
            "forwarded",
            "extended",
            "lapsed",
            "access_denied",
        ],
        0,
    )
    return {**base, "avg_response_days": None, "p90_response_days": None, **kw}


async def test_report_figures_match_the_hand_computed_scenario(scenario: TestClient[Any, Any]) -> None:
    resp = await _get(scenario, REPORT_URL)
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["totals"] == _figures(
        received=7,
        answered=2,
        answered_on_time=1,
        answered_late=1,
        pending=3,
        pending_overdue=1,
        forwarded=1,
        extended=1,
        lapsed=1,
        access_denied=1,
        avg_response_days=8.5,
        p90_response_days=11,
    )
    weeks = {p["label"]: p["figures"]["received"] for p in body["periods"]}
    assert weeks == {
        "Semana del 23 de noviembre de 2026": 6,
        "Semana del 30 de noviembre de 2026": 1,
        "Semana del 7 de diciembre de 2026": 0,
        "Semana del 14 de diciembre de 2026": 0,
        "Semana del 21 de diciembre de 2026": 0,
        "Semana del 28 de diciembre de 2026": 0,
    }
    assert body["periods"][0]["key"] == "2026-11-23"
    first_week = body["periods"][0]["figures"]
    assert (first_week["answered_on_time"], first_week["answered_late"], first_week["p90_response_days"]) == (
        1,
        1,
        11,
    )


async def test_report_breakdowns_by_type_channel_and_dependencia(scenario: TestClient[Any, Any]) -> None:
    body = await (await _get(scenario, REPORT_URL, ADMIN)).json()
    by_type = {g["key"]: g["figures"] for g in body["by_type"]}
    assert {k: f["received"] for k, f in by_type.items()} == {
        "consulta": 1,
        "peticion": 3,
        "peticion_documentos": 2,
        "queja": 1,
    }
    assert by_type["peticion"]["avg_response_days"] == 6.0 and by_type["peticion"]["extended"] == 1
    assert by_type["queja"]["pending_overdue"] == 1 and by_type["consulta"]["lapsed"] == 1
    channels = {g["key"]: g["figures"]["received"] for g in body["by_channel"]}
    assert channels == {"app": 1, "chat": 1, "voice": 1, "web": 4}
    labels = {g["key"]: g["label"] for g in body["by_channel"]}  # never the code "web" to a person
    assert labels == {
        "app": "Aplicación móvil",
        "chat": "Chat",
        "voice": "Línea 195 (llamada)",
        "web": "Portal web",
    }
    deps = {g["key"]: (g["label"], g["figures"]["received"]) for g in body["by_dependencia"]}
    assert deps == {
        "hacienda": ("Secretaría de Hacienda", 2),
        "salud": ("Secretaría de Salud", 2),
        "transito": ("Secretaría de Tránsito y Transporte", 3),
    }


async def test_transparency_figures_for_requests_for_information(scenario: TestClient[Any, Any]) -> None:
    body = await (await _get(scenario, REPORT_URL)).json()
    t = body["transparency"]
    assert (t["received"], t["forwarded"], t["access_denied"], t["answered"], t["avg_response_days"]) == (
        2,
        1,
        1,
        1,
        11.0,
    )
    answered, forwarded = t["requests"]
    assert answered["answered_on"] == "2026-12-10" and answered["response_days"] == 11
    assert answered["access_denied"] is True and answered["dependencia"] == "hacienda"
    assert forwarded["status"] == "trasladado" and forwarded["response_days"] is None
    assert (
        forwarded["status_label"] == "Trasladado a otra entidad"
        and answered["dependencia_name"] == "Secretaría de Hacienda"
    )


async def test_filters_by_dependencia_and_type_and_month_grouping(scenario: TestClient[Any, Any]) -> None:
    body = await (await _get(scenario, REPORT_URL + "&dependencia=transito")).json()
    assert body["totals"]["received"] == 3 and body["totals"]["pending_overdue"] == 1
    month = await (
        await _get(
            scenario, "/api/v1/reports/pqrd?from=2026-11-01&to=2026-12-31&type=peticion&group_by=month"
        )
    ).json()
    # Ticket 7 was filed at 23:30 on 30 November in Bogotá (already 1 December in UTC).
    assert [(p["label"], p["figures"]["received"]) for p in month["periods"]] == [
        ("Noviembre de 2026", 4),
        ("Diciembre de 2026", 0),
    ]


async def test_csv_download_for_excel(scenario: TestClient[Any, Any]) -> None:
    resp = await _get(scenario, REPORT_URL + "&format=csv")
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/csv")
    assert resp.headers["Content-Disposition"] == (
        'attachment; filename="reporte-pqrd-2026-11-23-a-2026-12-31.csv"'
    )
    raw = await resp.read()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Dimensión", "Clave", "Grupo", "Recibidas"]
    assert rows[1][:4] == ["Total", "", "Total", "7"] and rows[1][-2:] == ["8,5", "11"]
    assert rows[-3][:4] == ["Dependencia", "hacienda", "Secretaría de Hacienda", "2"]
    requests = await _get(scenario, REPORT_URL + "&format=csv&table=information_requests")
    lines = list(csv.reader(io.StringIO((await requests.read()).decode("utf-8-sig")), delimiter=";"))
    assert lines[0][0] == "Radicado" and len(lines) == 3 and lines[1][5:] == ["11", "No", "Sí"]
    # Names and labels, not codes; dates as Excel in es-CO reads them.
    assert lines[1][1:5] == ["23/11/2026", "Secretaría de Hacienda", "Respondido", "10/12/2026"]
    assert lines[2][3] == "Trasladado a otra entidad"
    channel_rows = [row[:3] for row in rows if row[0] == "Canal"]
    assert ["Canal", "web", "Portal web"] in channel_rows


async def test_agents_cannot_read_reports_and_bad_queries_are_400(seeded: TestClient[Any, Any]) -> None:
    resp = await _get(seeded, REPORT_URL, AGENT)
    assert resp.status == 403 and (await resp.json())["error"]["code"] == "role_required"
    cases = {
        "from=2026-12-31&to=2026-11-01": "invalid_report_range",
        "from=2026-13-01": "validation_error",
        "group_by=year": "validation_error",
        "dependencia=nada": "unknown_dependencia",
        "from=2010-01-01&to=2026-01-01": "report_range_too_long",
        "colour=red": "validation_error",
    }
    for params, code in cases.items():
        bad = await _get(seeded, f"/api/v1/reports/pqrd?{params}")
        assert bad.status == 400, params
        assert (await bad.json())["error"]["code"] == code, params


async def test_an_empty_period_has_zero_figures_and_the_route_is_in_openapi(
    seeded: TestClient[Any, Any],
) -> None:
    body = await (await _get(seeded, "/api/v1/reports/pqrd?from=2026-11-01&to=2026-11-30")).json()
    assert body["totals"] == _figures() and body["transparency"]["requests"] == []
    assert [p["key"] for p in body["periods"]] == ["2026-11-01"]
    doc = await (await seeded.get("/api/v1/openapi.json")).json()
    params = {p["name"] for p in doc["paths"]["/api/v1/reports/pqrd"]["get"]["parameters"]}
    assert {"from", "to", "group_by", "dependencia", "type", "format"} <= params
