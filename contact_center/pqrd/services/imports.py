"""Import the PQRDs of the city's current records from a CSV file (format in the README).

All or nothing: every row is validated first and the errors are reported by row (the spreadsheet's
row number: the header is row 1), column and a Spanish message; only a file without errors is filed,
in one transaction. The records are filed together (`ticket_batch.file_tickets`, citizens by
`citizen_batch.citizens_for_claims`: the rules of a single filing, a few statements for the whole
file) with their ORIGINAL filing instants, so each legal due date counts from then (it may be
overdue on arrival) and the escalations apply at once; the old number goes into the filing event
and into `ticket_imports`, which makes a re-import of the same file change nothing.

Only open records are imported; the ones the old system already closed (answered, forwarded,
withdrawn) are reported as skipped: their history cannot be rebuilt truthfully event by event.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import Table, select
from sqlalchemy.exc import IntegrityError

from contact_center.citizens.services.batch import citizens_for_claims
from contact_center.citizens.services.identities import (
    CitizenDetails,
    document_value,
    normalize_email,
    normalize_phone,
)
from contact_center.core.clock import BOGOTA
from contact_center.core.db.batch_rows import insert_rows
from contact_center.core.db.models import Dependencia, Ticket
from contact_center.core.errors import Conflict, DomainError, InvalidInput
from contact_center.core.uow import UnitOfWork
from contact_center.pqrd.domain.calendar import bogota_date
from contact_center.pqrd.domain.legal_clock import PqrdType
from contact_center.pqrd.models.imports import TicketImport
from contact_center.pqrd.services.batch import file_tickets
from contact_center.pqrd.services.tickets import Actor, NewTicket, load_clock

REQUIRED = ("radicado_original", "tipo", "asunto", "descripcion", "fecha_radicacion")
OPTIONAL = (
    "dependencia",
    "nombre",
    "tipo_documento",
    "numero_documento",
    "correo",
    "telefono",
    "estado",
    "anonimo",
)
COLUMNS = REQUIRED + OPTIONAL
MAX_ROWS = 20_000
OPEN_STATES = frozenset({"", "radicado", "pendiente", "asignado", "en_tramite", "abierto"})
CLOSED_STATES = frozenset({"respondido", "cerrado", "trasladado", "desistido", "archivado"})
_YES = frozenset({"si", "s", "true", "1", "x"})
_NO = frozenset({"", "no", "n", "false", "0"})
T = TypeVar("T")
_IMPORTS: Table = TicketImport.__table__  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    column: str | None
    message: str


@dataclass(frozen=True, slots=True)
class ImportedRow:
    """A record filed (or, in a dry run, that would be filed) with its legal dates."""

    row: int
    original_radicado: str
    radicado: str | None  # None in a dry run
    filed_at: datetime
    due_date: date
    overdue: bool


@dataclass(frozen=True, slots=True)
class SkippedRow:
    row: int
    original_radicado: str
    reason: str


@dataclass(frozen=True, slots=True)
class ImportReport:
    source: str
    rows: int
    dry_run: bool
    imported: list[ImportedRow] = field(default_factory=list)
    skipped: list[SkippedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True, slots=True)
class _Record:
    row: int
    new: NewTicket
    citizen: CitizenDetails | None


# -- reading the file ------------------------------------------------------------------------------


def _header_name(text: str) -> str:
    """ "Fecha de radicación" -> "fecha_de_radicacion": case, accents and spaces do not matter."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "_".join(plain.strip().lower().split())


def _decode(data: bytes) -> str:
    # Excel in Spanish saves "CSV" as Windows-1252; "CSV UTF-8" adds a BOM.
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_rows(data: bytes) -> tuple[list[tuple[int, dict[str, str]]], list[RowError]]:
    """The data rows keyed by column name, numbered as in a spreadsheet, or the header's errors."""
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _rows(reader)
    except csv.Error as exc:
        return [], [RowError(reader.line_num, None, f"El archivo no es un CSV válido: {exc}.")]


def _rows(reader: Any) -> tuple[list[tuple[int, dict[str, str]]], list[RowError]]:
    header = [_header_name(h) for h in next(reader, [])]
    errors = [RowError(1, h or None, f"Columna desconocida: «{h}».") for h in header if h not in COLUMNS]
    errors += [RowError(1, c, f"Falta la columna obligatoria «{c}».") for c in REQUIRED if c not in header]
    if errors:
        return [], errors
    rows: list[tuple[int, dict[str, str]]] = []
    for number, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue  # blank lines at the end of a spreadsheet export
        if len(values) != len(header):
            errors.append(
                RowError(number, None, f"La fila tiene {len(values)} campos; se esperaban {len(header)}.")
            )
            continue
        rows.append((number, {h: v.strip() for h, v in zip(header, values, strict=True)}))
    if len(rows) > MAX_ROWS:
        errors.append(RowError(1, None, f"El archivo tiene más de {MAX_ROWS} filas; divídalo."))
    if not rows and not errors:
        errors.append(RowError(2, None, "El archivo no tiene filas de datos."))
    return rows, errors


# -- validating one row ----------------------------------------------------------------------------


class _RowCheck:
    """Collects the errors of one row while its fields are parsed."""

    def __init__(self, number: int, values: dict[str, str]) -> None:
        self.number, self.values, self.errors = number, values, list[RowError]()

    def get(self, column: str) -> str:
        return self.values.get(column, "")

    def fail(self, column: str, message: str) -> None:
        self.errors.append(RowError(self.number, column, message))

    def parse(self, column: str, parse: Callable[[str], T]) -> T | None:
        try:
            return parse(self.get(column))
        except DomainError as exc:
            self.fail(column, exc.message)
        except ValueError:
            self.fail(column, "Valor no válido.")
        return None


def parse_filed_at(text: str) -> datetime:
    """ISO 8601 with an offset, or a Bogotá wall time `YYYY-MM-DD HH:MM` (a bare date is 00:00)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"Fecha no válida: «{text}». Use 2026-03-02T09:15:00-05:00 o 2026-03-02 09:15.",
            code="invalid_date",
        ) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=BOGOTA)


def _pqrd_type(text: str) -> PqrdType:
    try:
        return PqrdType(_header_name(text))
    except ValueError:
        codes = ", ".join(t.value for t in PqrdType)
        raise InvalidInput(f"Tipo desconocido: «{text}». Use uno de: {codes}.") from None


def _flag(text: str) -> bool:
    value = _header_name(text)
    if value in _YES or value in _NO:
        return value in _YES
    raise InvalidInput(f"Valor no válido: «{text}». Use «sí» o «no».")


def _text(check: _RowCheck, column: str, limit: int) -> str:
    value = check.get(column)
    if not value:
        check.fail(column, "El campo es obligatorio.")
    elif len(value) > limit:
        check.fail(column, f"Máximo {limit} caracteres.")
    return value


def _citizen(check: _RowCheck, anonymous: bool) -> CitizenDetails | None:
    personal = ("nombre", "tipo_documento", "numero_documento", "correo", "telefono")
    given = [c for c in personal if check.get(c)]
    if anonymous:
        for column in given:
            check.fail(column, "Un registro anónimo no lleva datos del ciudadano.")
        return None
    if not given:
        return None
    number = check.get("numero_documento")
    if check.get("tipo_documento") and not number:
        check.fail("numero_documento", "Indique el número del documento.")
    if number:
        check.parse("numero_documento", lambda n: document_value(check.get("tipo_documento") or "CC", n))
    if check.get("correo"):
        check.parse("correo", normalize_email)
    if check.get("telefono"):
        check.parse("telefono", normalize_phone)
    return CitizenDetails(
        name=check.get("nombre")[:200] or None,
        document_type=check.get("tipo_documento") or None,
        document_number=number or None,
        email=check.get("correo") or None,
        phone=check.get("telefono") or None,
    )


def _record(check: _RowCheck, now: datetime, dependencias: set[str]) -> _Record | None:
    original = _text(check, "radicado_original", 60)
    pqrd_type = check.parse("tipo", _pqrd_type)
    subject, description = _text(check, "asunto", 300), _text(check, "descripcion", 20_000)
    filed_at = check.parse("fecha_radicacion", parse_filed_at) if check.get("fecha_radicacion") else None
    if not check.get("fecha_radicacion"):
        check.fail("fecha_radicacion", "El campo es obligatorio.")
    elif filed_at is not None and (filed_at > now or filed_at.year < 2000):
        check.fail("fecha_radicacion", "La fecha debe estar entre el año 2000 y hoy.")
    dependencia = check.get("dependencia").lower() or None
    if dependencia is not None and dependencia not in dependencias:
        check.fail("dependencia", f"Dependencia desconocida: «{dependencia}».")
    anonymous = bool(check.parse("anonimo", _flag))
    citizen = _citizen(check, anonymous)
    if check.errors or pqrd_type is None or filed_at is None:
        return None
    new = NewTicket(
        pqrd_type,
        subject,
        description,
        "import",
        dependencia_code=dependencia,
        anonymous=anonymous,
        filed_at=filed_at,
        original_radicado=original,
    )
    return _Record(check.number, new, citizen)


def _state(check: _RowCheck) -> str | None:
    """The record's state in the old system: None when open, the closed state otherwise."""
    state = _header_name(check.get("estado"))
    if state in OPEN_STATES:
        return None
    if state in CLOSED_STATES:
        return state
    check.fail("estado", f"Estado desconocido: «{check.get('estado')}».")
    return None


# -- the import ------------------------------------------------------------------------------------


async def import_tickets(
    uow: UnitOfWork,
    data: bytes,
    *,
    source: str,
    secret: bytes,
    actor: Actor,
    dry_run: bool = False,
) -> ImportReport:
    """Validate every row, then file them all in this unit of work and commit (unless `dry_run`)."""
    rows, errors = read_rows(data)
    report = ImportReport(source=source[:255], rows=len(rows), dry_run=dry_run, errors=errors)
    if errors:
        return report
    dependencias = set((await uow.session.scalars(select(Dependencia.code))).all())
    already = await _imported(uow)
    now, seen = uow.clock.now(), dict[str, int]()
    records: list[_Record] = []
    for number, values in rows:
        check = _RowCheck(number, values)
        closed = _state(check)
        record = _record(check, now, dependencias)
        original = check.get("radicado_original")
        if original and original in seen:
            check.fail("radicado_original", f"Repetido: ya aparece en la fila {seen[original]}.")
        seen.setdefault(original, number)
        report.errors.extend(check.errors)
        if record is None or check.errors:
            continue
        if original in already:
            report.skipped.append(SkippedRow(number, original, f"Ya importado como {already[original]}."))
        elif closed is not None:
            report.skipped.append(SkippedRow(number, original, f"Cerrado en el sistema anterior ({closed})."))
        else:
            records.append(record)
    if report.errors:
        return report
    if dry_run:
        report.imported.extend(await _preview(uow, records))
        return report
    report.imported.extend(await _file_all(uow, records, report.source, actor, secret))
    return report


async def _imported(uow: UnitOfWork) -> dict[str, str]:
    """Original radicado -> the radicado it was filed as, for every record imported before."""
    rows = await uow.session.execute(
        select(TicketImport.original_radicado, Ticket.radicado).join(
            Ticket, Ticket.id == TicketImport.ticket_id
        )
    )
    return {original: radicado for original, radicado in rows}


async def _preview(uow: UnitOfWork, records: list[_Record]) -> list[ImportedRow]:
    clock, today = await load_clock(uow), bogota_date(uow.clock.now())
    out = []
    for r in records:
        assert r.new.filed_at is not None and r.new.original_radicado is not None
        due = clock.due_date(r.new.pqrd_type, r.new.filed_at)
        out.append(ImportedRow(r.row, r.new.original_radicado, None, r.new.filed_at, due, due < today))
    return out


async def _file_all(
    uow: UnitOfWork, records: list[_Record], source: str, actor: Actor, secret: bytes
) -> list[ImportedRow]:
    now = uow.clock.now()
    today = bogota_date(now)
    try:
        citizens = await citizens_for_claims(uow, [r.citizen for r in records])
        batch = [
            replace(r.new, citizen_id=citizen_id) if citizen_id is not None else r.new
            for r, citizen_id in zip(records, citizens, strict=True)
        ]
        filed = await file_tickets(uow, batch, actor, secret=secret)
        imports = [
            {
                "original_radicado": r.new.original_radicado,
                "ticket_id": f.id,
                "source": source,
                "source_row": r.row,
                "imported_at": now,
                "imported_by": actor.id if actor.kind == "official" else None,
            }
            for r, f in zip(records, filed, strict=True)
        ]
        await insert_rows(uow.session, _IMPORTS, imports)
        await uow.commit()
    except IntegrityError:  # a concurrent import took an original radicado, or a filing an e-mail
        raise Conflict(
            "Otra importación o radicación registró al mismo tiempo algunos de estos datos; "
            "vuelva a intentarlo.",
            code="import_conflict",
        ) from None
    out = []
    for r, f in zip(records, filed, strict=True):
        assert r.new.original_radicado is not None
        out.append(
            ImportedRow(
                r.row, r.new.original_radicado, f.radicado, f.filed_at, f.due_date, f.due_date < today
            )
        )
    return out
