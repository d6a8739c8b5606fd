"""`POST /api/v1/admin/tickets/import`: an administrator uploads the city's old PQRD records as CSV."""

from __future__ import annotations

from datetime import date, datetime

from aiohttp import BodyPartReader, web
from pydantic import BaseModel, ConfigDict

from contact_center.core.auth import Principal
from contact_center.core.errors import InvalidInput
from contact_center.core.http.api import ApiRoutes, ErrorDetail
from contact_center.core.http.keys import SETTINGS, UOW
from contact_center.core.officials import Role
from contact_center.pqrd.services.imports import ImportReport, import_tickets
from contact_center.pqrd.services.tickets import Actor

routes = ApiRoutes()
CSV_TYPES = frozenset({"text/csv", "application/csv", "text/plain", "application/vnd.ms-excel"})


class ImportQueryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dry_run: bool = False


class RowErrorOut(BaseModel):
    row: int
    column: str | None
    message: str


class ImportedRowOut(BaseModel):
    row: int
    original_radicado: str
    radicado: str | None
    filed_at: datetime
    due_date: date
    overdue: bool


class SkippedRowOut(BaseModel):
    row: int
    original_radicado: str
    reason: str


class ImportReportOut(BaseModel):
    source: str
    rows: int
    dry_run: bool
    imported: list[ImportedRowOut]
    skipped: list[SkippedRowOut]


class ImportRejectedOut(BaseModel):
    """The file was read but some rows are wrong: nothing was imported."""

    error: ErrorDetail
    errors: list[RowErrorOut]


def _report_out(report: ImportReport) -> ImportReportOut:
    return ImportReportOut.model_validate(report, from_attributes=True)


def _rejected(report: ImportReport) -> ImportRejectedOut:
    count = len(report.errors)
    return ImportRejectedOut(
        error=ErrorDetail(
            code="import_rejected",
            message=f"El archivo tiene {count} error(es); no se importó ningún registro.",
        ),
        errors=[RowErrorOut.model_validate(e, from_attributes=True) for e in report.errors],
    )


async def _upload(request: web.Request) -> tuple[bytes, str]:
    """The CSV and its file name: a multipart part named `file`, or the raw body (text/csv)."""
    if request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if isinstance(part, BodyPartReader) and part.name == "file":
                return await part.read(decode=True), part.filename or "carga.csv"
        raise InvalidInput("Adjunte el archivo CSV en el campo «file».", code="missing_file")
    if request.content_type not in CSV_TYPES:
        raise web.HTTPUnsupportedMediaType()
    return await request.read(), request.headers.get("X-Filename", "carga.csv")


@routes.post(
    "/api/v1/admin/tickets/import",
    query=ImportQueryIn,
    responses={200: ImportReportOut, 415: None, 422: ImportRejectedOut},
    role=Role.ADMIN,
    tags=["tickets", "admin"],
    summary="Import existing PQRDs from a CSV (multipart field `file`, or a text/csv body); all or nothing",
)
async def import_csv(request: web.Request, principal: Principal, query: ImportQueryIn) -> web.Response:
    data, filename = await _upload(request)
    secret = request.app[SETTINGS].signing_key()
    async with request.app[UOW]() as uow:
        report = await import_tickets(
            uow,
            data,
            source=filename,
            secret=secret,
            actor=Actor("official", principal.official_id),
            dry_run=query.dry_run,
        )
    if not report.ok:
        return web.json_response(_rejected(report).model_dump(mode="json"), status=422)
    return web.json_response(_report_out(report).model_dump(mode="json"))
