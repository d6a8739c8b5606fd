"""Import and export of the catalogue (JSON or CSV), all or nothing, errors reported by row.

A row is a trámite record (`domain.TramiteRecord`) plus `status` (`draft` or `published`, the
default). A row whose slug exists makes a new version of it; otherwise the trámite is created.
In CSV the lists are written `a | b` (`also_known_as`, `life_situations`) and the structured
fields (`legal_basis`, `points_of_service`, `requirements`, `cost`, `time_to_obtain`) as JSON.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select

from contact_center.core.db.models import Dependencia
from contact_center.core.errors import DomainError, InvalidInput
from contact_center.core.uow import UnitOfWork
from contact_center.tramites import services
from contact_center.tramites.domain import Status, TramiteRecord
from contact_center.tramites.models import Tramite, TramiteVersion

LIST_COLUMNS = ("also_known_as", "life_situations")
JSON_COLUMNS = ("legal_basis", "points_of_service", "requirements", "cost", "time_to_obtain")
CSV_COLUMNS = (
    "slug",
    "status",
    "name",
    "standardized_name",
    "also_known_as",
    "dependencia",
    "suit_code",
    "purpose",
    "online",
    "online_url",
    "result",
    "time_to_obtain",
    "legal_basis",
    "points_of_service",
    "life_situations",
    "requirements",
    "cost",
    "follow_up",
    "voice_summary",
    "chat_answer",
)
MAX_ROWS = 5000


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based: the JSON list position, or the CSV line after the header
    errors: list[str]


class ImportRefused(InvalidInput):
    code = "import_refused"


@dataclass(frozen=True)
class Parsed:
    row: int
    record: TramiteRecord
    status: str


def parse(data: bytes, fmt: str) -> list[dict[str, Any]]:
    """The file's rows as dictionaries; a file that cannot be read at all is refused whole."""
    try:
        textual = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("El archivo no está en UTF-8.", code="invalid_file") from None
    if fmt == "json":
        try:
            rows = json.loads(textual)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"JSON no válido: {exc}", code="invalid_file") from None
        if isinstance(rows, dict):
            rows = rows.get("tramites")
        if not isinstance(rows, list):
            raise InvalidInput("Se esperaba una lista de trámites.", code="invalid_file")
    else:
        rows = [_from_csv(row) for row in csv.DictReader(io.StringIO(textual))]
    if len(rows) > MAX_ROWS:
        raise InvalidInput(f"Máximo {MAX_ROWS} filas por archivo.", code="invalid_file")
    return rows


def _from_csv(row: dict[str, str | None]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, raw in row.items():
        value = (raw or "").strip()
        if key is None or value == "":
            continue
        if key in LIST_COLUMNS:
            out[key] = [v.strip() for v in value.split("|") if v.strip()]
        elif key in JSON_COLUMNS:
            try:
                out[key] = json.loads(value)
            except json.JSONDecodeError:
                out[key] = value  # validation names the field
        elif key == "online":
            out[key] = value.lower() in ("1", "si", "sí", "true", "yes")
        else:
            out[key] = value
    return out


def validate(rows: list[dict[str, Any]], known_dependencias: set[str]) -> tuple[list[Parsed], list[RowError]]:
    parsed: list[Parsed] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        problems: list[str] = []
        if not isinstance(row, dict):
            errors.append(RowError(number, ["la fila no es un objeto"]))
            continue
        fields = dict(row)
        status = str(fields.pop("status", Status.PUBLISHED))
        if status not in (Status.DRAFT, Status.PUBLISHED):
            problems.append("status: debe ser draft o published")
        try:
            record = TramiteRecord.model_validate(fields)
        except ValidationError as exc:
            errors.append(RowError(number, problems + services.validation_errors(exc)))
            continue
        if record.dependencia not in known_dependencias:
            problems.append(f"dependencia: '{record.dependencia}' no existe")
        slug = record.effective_slug()
        if slug in seen:
            problems.append(f"slug: '{slug}' repetido (fila {seen[slug]})")
        seen.setdefault(slug, number)
        if problems:
            errors.append(RowError(number, problems))
        else:
            parsed.append(Parsed(number, record, status))
    return parsed, errors


async def import_rows(
    uow: UnitOfWork, rows: list[dict[str, Any]], actor: services.Actor, reason: str
) -> dict[str, int]:
    """Apply every row or none: validation first, then one transaction the caller commits."""
    codes = set(await uow.session.scalars(select(Dependencia.code)))
    parsed, errors = validate(rows, codes)
    if errors:
        raise ImportRefused(
            f"{len(errors)} fila(s) con errores; no se importó nada.",
            rows=[{"row": e.row, "errors": e.errors} for e in errors],
        )
    created = versioned = published = 0
    for item in parsed:
        slug = item.record.effective_slug()
        try:
            if await uow.session.scalar(select(Tramite.id).where(Tramite.slug == slug)) is None:
                await services.create(uow, item.record, actor, reason)
                created += 1
            else:
                await services.edit(uow, slug, item.record, actor, reason)
                versioned += 1
            if item.status == Status.PUBLISHED:
                await services.publish(uow, slug, actor, reason)
                published += 1
        except DomainError as exc:
            raise ImportRefused(
                f"La fila de '{slug}' no se pudo aplicar; no se importó nada.",
                rows=[{"row": item.row, "errors": [exc.message]}],
            ) from None
    return {"created": created, "new_versions": versioned, "published": published}


async def export_rows(uow: UnitOfWork) -> list[dict[str, Any]]:
    """Each trámite's latest version with its status (archived ones included, as drafts)."""
    rows = await uow.session.execute(
        select(Tramite, TramiteVersion)
        .join(
            TramiteVersion,
            (TramiteVersion.tramite_id == Tramite.id) & (TramiteVersion.number == Tramite.latest_version),
        )
        .order_by(Tramite.slug)
    )
    out = []
    for tramite, version in rows:
        status = Status.PUBLISHED if tramite.published_version == version.number else Status.DRAFT
        out.append({"status": str(status), **version.record})
    return out


def to_csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        flat: dict[str, Any] = {}
        for key in CSV_COLUMNS:
            value = row.get(key)
            if key in LIST_COLUMNS:
                flat[key] = " | ".join(value or [])
            elif key in JSON_COLUMNS:
                flat[key] = json.dumps(value, ensure_ascii=False)
            elif isinstance(value, bool):
                flat[key] = "si" if value else "no"
            else:
                flat[key] = "" if value is None else value
        writer.writerow(flat)
    return buffer.getvalue()
