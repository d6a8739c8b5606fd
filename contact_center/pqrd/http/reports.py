"""`GET /api/v1/reports/pqrd`: PQRD figures as JSON (for the supervisor dashboard) or as a CSV for Excel.

Supervisors and administrators both see every dependencia: the Oficina de Atención al Ciudadano
answers for the whole entity's PQRD and transparency reports; `dependencia=` narrows a report.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from contact_center.core.auth import Principal
from contact_center.core.http.api import ApiRoutes
from contact_center.core.http.keys import UOW
from contact_center.core.officials import Role
from contact_center.pqrd.domain.calendar import bogota_date
from contact_center.pqrd.domain.legal_clock import PqrdType
from contact_center.pqrd.services import reports
from contact_center.pqrd.services.reports import GroupBy, PqrdReport, ReportQuery

routes = ApiRoutes()


class ReportQueryIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: date | None = Field(
        default=None, alias="from", description="first date of receipt (Bogotá); default: first of the month"
    )
    to: date | None = Field(
        default=None, description="last date of receipt (Bogotá), inclusive; default: today"
    )
    group_by: GroupBy = GroupBy.MONTH
    dependencia: str | None = Field(default=None, max_length=40, description="dependencia code")
    type: PqrdType | None = None
    format: Literal["json", "csv"] = "json"
    table: Literal["summary", "information_requests"] = Field(
        default="summary", description="CSV only: the grouped figures, or one row per information request"
    )


class FiguresOut(BaseModel):
    received: int
    answered: int
    answered_on_time: int
    answered_late: int
    pending: int
    pending_overdue: int
    forwarded: int
    extended: int
    lapsed: int
    access_denied: int
    avg_response_days: float | None
    p90_response_days: int | None


class GroupOut(BaseModel):
    key: str
    label: str
    figures: FiguresOut


class InformationRequestOut(BaseModel):
    radicado: str
    received_on: date
    dependencia: str = Field(description="dependencia code")
    dependencia_name: str
    status: str = Field(description="status code")
    status_label: str = Field(description="the status in Spanish, as the CSV shows it")
    answered_on: date | None
    response_days: int | None
    forwarded: bool
    access_denied: bool


class TransparencyOut(BaseModel):
    received: int
    forwarded: int
    access_denied: int
    answered: int
    avg_response_days: float | None
    requests: list[InformationRequestOut]


class PqrdReportOut(BaseModel):
    from_: date = Field(alias="from")
    to: date
    group_by: GroupBy
    dependencia: str | None
    type: PqrdType | None
    generated_at: datetime
    totals: FiguresOut
    periods: list[GroupOut]
    by_type: list[GroupOut]
    by_channel: list[GroupOut]
    by_dependencia: list[GroupOut]
    transparency: TransparencyOut


def _figures(f: reports.Figures) -> FiguresOut:
    return FiguresOut.model_validate(f, from_attributes=True)


def _groups(groups: Iterable[reports.Group]) -> list[GroupOut]:
    return [GroupOut(key=g.key, label=g.label, figures=_figures(g.figures)) for g in groups]


def to_out(report: PqrdReport) -> PqrdReportOut:
    q, t = report.query, report.transparency
    return PqrdReportOut.model_validate(
        {
            "from": q.start,
            "to": q.end,
            "group_by": q.group_by,
            "dependencia": q.dependencia_code,
            "type": q.pqrd_type,
            "generated_at": report.generated_at,
            "totals": _figures(report.totals),
            "periods": _groups(report.periods),
            "by_type": _groups(report.by_type),
            "by_channel": _groups(report.by_channel),
            "by_dependencia": _groups(report.by_dependencia),
            "transparency": TransparencyOut(
                received=t.received,
                forwarded=t.forwarded,
                access_denied=t.access_denied,
                answered=t.answered,
                avg_response_days=t.avg_response_days,
                requests=[InformationRequestOut.model_validate(r, from_attributes=True) for r in t.requests],
            ),
        }
    )


def _report_query(query: ReportQueryIn, today: date) -> ReportQuery:
    end = query.to or today
    start = query.from_ or end.replace(day=1)
    return ReportQuery(start, end, query.group_by, query.dependencia, query.type)


@routes.get(
    "/api/v1/reports/pqrd",
    query=ReportQueryIn,
    responses={200: PqrdReportOut},
    role=Role.SUPERVISOR,
    tags=["reports"],
    summary="PQRD figures by period, type, channel and dependencia (JSON, or CSV with format=csv)",
)
async def pqrd_report(request: web.Request, principal: Principal, query: ReportQueryIn) -> web.Response:
    async with request.app[UOW]() as uow:
        today = bogota_date(uow.clock.now())
        report = await reports.pqrd_report(uow, _report_query(query, today))
    if query.format == "csv":
        return _csv_response(report, query.table)
    return web.json_response(to_out(report).model_dump(mode="json", by_alias=True))


# -- CSV for Excel (es-CO): UTF-8 with BOM, ';' between fields, decimal comma ---------------------

SUMMARY_HEADERS = [
    "Dimensión",
    "Clave",
    "Grupo",
    "Recibidas",
    "Respondidas",
    "Respondidas a tiempo",
    "Respondidas fuera de término",
    "Pendientes",
    "Pendientes vencidas",
    "Trasladadas",
    "Prorrogadas",
    "Desistidas",
    "Acceso negado",
    "Tiempo promedio de respuesta (días hábiles)",
    "Percentil 90 de respuesta (días hábiles)",
]
REQUEST_HEADERS = [
    "Radicado",
    "Fecha de recibo",
    "Dependencia",
    "Estado",
    "Fecha de respuesta",
    "Tiempo de respuesta (días hábiles)",
    "Trasladada",
    "Acceso negado",
]
_DIMENSIONS = (
    ("periods", "Periodo"),
    ("by_type", "Tipo"),
    ("by_channel", "Canal"),
    ("by_dependencia", "Dependencia"),
)


def _number(value: float | int | None) -> str:
    return "" if value is None else str(value).replace(".", ",")


def _yes_no(flag: bool) -> str:
    return "Sí" if flag else "No"


def _summary_row(dimension: str, key: str, label: str, f: reports.Figures) -> list[str]:
    counts = [
        f.received,
        f.answered,
        f.answered_on_time,
        f.answered_late,
        f.pending,
        f.pending_overdue,
        f.forwarded,
        f.extended,
        f.lapsed,
        f.access_denied,
    ]
    return [
        dimension,
        key,
        label,
        *map(str, counts),
        _number(f.avg_response_days),
        _number(f.p90_response_days),
    ]


def summary_rows(report: PqrdReport) -> list[list[str]]:
    rows = [_summary_row("Total", "", "Total", report.totals)]
    for attr, dimension in _DIMENSIONS:
        groups: list[reports.Group] = getattr(report, attr)
        rows += [_summary_row(dimension, g.key, g.label, g.figures) for g in groups]
    return rows


def request_rows(report: PqrdReport) -> list[list[str]]:
    return [
        [
            r.radicado,
            f"{r.received_on:%d/%m/%Y}",  # the way Excel in es-CO reads a date
            r.dependencia_name or r.dependencia,
            r.status_label or r.status,
            f"{r.answered_on:%d/%m/%Y}" if r.answered_on else "",
            _number(r.response_days),
            _yes_no(r.forwarded),
            _yes_no(r.access_denied),
        ]
        for r in report.transparency.requests
    ]


def _csv_response(report: PqrdReport, table: str) -> web.Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    if table == "information_requests":
        writer.writerows([REQUEST_HEADERS, *request_rows(report)])
        name = "solicitudes-informacion"
    else:
        writer.writerows([SUMMARY_HEADERS, *summary_rows(report)])
        name = "reporte-pqrd"
    q = report.query
    filename = f"{name}-{q.start.isoformat()}-a-{q.end.isoformat()}.csv"
    return web.Response(
        body=("\ufeff" + buffer.getvalue()).encode("utf-8"),
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )
