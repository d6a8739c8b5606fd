"""What administrators change in the legal clock: closure days, terms by type, clock settings.

Each change is validated by the pure domain (`BusinessCalendar`, `ClockSettings`) before it is
stored, and committed here. Terms and settings apply to PQRDs filed after the change (each ticket
keeps the term it was filed with); a closure day applies to every count that crosses it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from enum import Enum
from typing import Any

from sqlalchemy import delete, select

from contact_center.core.db.models import BusinessClosure
from contact_center.core.errors import Conflict, InvalidInput, NotFound
from contact_center.core.uow import UnitOfWork
from contact_center.pqrd.domain.calendar import colombian_holidays
from contact_center.pqrd.domain.legal_clock import (
    DEFAULT_TERMS,
    ClockSettings,
    ExtensionMode,
    PqrdType,
    ResumeMode,
    parse_pqrd_type,
)
from contact_center.pqrd.models.legal import LegalClockSetting, PqrdTerm

MAX_TERM_DAYS = 90  # no Colombian PQRD term is longer than 30 business days; 90 catches typos
# The settings an administrator may change; `terms` has its own table and routes.
SETTING_KEYS = tuple(f.name for f in fields(ClockSettings) if f.name != "terms")
_SETTING_TYPES: dict[str, Any] = {
    "extension_mode": ExtensionMode,
    "resume_mode": ResumeMode,
    "cutoff_hour": "int | None",
    "non_business_filing_counts_next_business_day": bool,
    **{key: int for key in SETTING_KEYS if key.endswith(("_days", "_months"))},
}

TERM_SOURCES = {
    PqrdType.PETICION: "Ley 1755 de 2015, art. 14",
    PqrdType.PETICION_DOCUMENTOS: "Ley 1755 de 2015, art. 14 num. 1",
    PqrdType.CONSULTA: "Ley 1755 de 2015, art. 14 num. 2",
    PqrdType.PETICION_AUTORIDAD: "Ley 1755 de 2015, art. 30",
}
_TYPE_CODES = frozenset(t.value for t in PqrdType)
PRACTICE = "práctica de las entidades colombianas (término general del art. 14)"


@dataclass(frozen=True)
class Closure:
    day: date
    reason: str


@dataclass(frozen=True)
class Term:
    pqrd_type: PqrdType
    term_days: int
    default_days: int
    overridden: bool
    source: str


# -- closures ---------------------------------------------------------------------------------------


async def list_closures(uow: UnitOfWork, year: int | None = None) -> list[Closure]:
    query = select(BusinessClosure).order_by(BusinessClosure.day)
    if year is not None:
        query = query.where(
            BusinessClosure.day >= date(year, 1, 1), BusinessClosure.day <= date(year, 12, 31)
        )
    return [Closure(c.day, c.reason) for c in (await uow.session.scalars(query)).all()]


async def add_closure(uow: UnitOfWork, day: date, reason: str, official_id: int | None) -> Closure:
    """Record a local non-business day (municipal decree); refuses weekends and holidays."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput("Indique el motivo (por ejemplo, el decreto).", code="reason_required")
    if day.weekday() >= 5:
        raise InvalidInput(f"El {day} es fin de semana: ya es un día no hábil.", code="not_a_weekday")
    holiday = colombian_holidays(day.year).get(day)
    if holiday:
        raise InvalidInput(f"El {day} ya es festivo nacional ({holiday}).", code="already_a_holiday")
    if await uow.session.get(BusinessClosure, day) is not None:
        raise Conflict(f"El {day} ya está registrado como día no hábil.", code="closure_exists")
    uow.session.add(
        BusinessClosure(day=day, reason=reason, created_at=uow.clock.now(), created_by=official_id)
    )
    await uow.commit()
    return Closure(day, reason)


async def remove_closure(uow: UnitOfWork, day: date) -> None:
    closure = await uow.session.get(BusinessClosure, day)
    if closure is None:
        raise NotFound(f"El {day} no está registrado como día no hábil.", code="closure_not_found")
    await uow.session.delete(closure)
    await uow.commit()


# -- terms ------------------------------------------------------------------------------------------


async def list_terms(uow: UnitOfWork) -> list[Term]:
    overrides = {t.pqrd_type: t.term_days for t in (await uow.session.scalars(select(PqrdTerm))).all()}
    return [
        Term(
            pqrd_type=t,
            term_days=overrides.get(t.value, DEFAULT_TERMS[t]),
            default_days=DEFAULT_TERMS[t],
            overridden=t.value in overrides,
            source=TERM_SOURCES.get(t, PRACTICE),
        )
        for t in PqrdType
    ]


async def set_term(uow: UnitOfWork, type_code: str, days: int, official_id: int | None) -> Term:
    """Override the term of a PQRD type (1–90 business days); PQRDs filed from now on use it."""
    pqrd_type = parse_pqrd_type(type_code)
    if isinstance(days, bool) or not 1 <= days <= MAX_TERM_DAYS:
        raise InvalidInput(
            f"El término debe ser un número entero de días hábiles entre 1 y {MAX_TERM_DAYS}.",
            code="invalid_term",
        )
    row = await uow.session.get(PqrdTerm, pqrd_type.value)
    if row is None:
        row = PqrdTerm(pqrd_type=pqrd_type.value)
        uow.session.add(row)
    row.term_days, row.updated_at, row.updated_by = days, uow.clock.now(), official_id
    await uow.commit()
    return next(t for t in await list_terms(uow) if t.pqrd_type is pqrd_type)


async def reset_term(uow: UnitOfWork, type_code: str) -> Term:
    """Back to the legal default of the type."""
    pqrd_type = parse_pqrd_type(type_code)
    await uow.session.execute(delete(PqrdTerm).where(PqrdTerm.pqrd_type == pqrd_type.value))
    await uow.commit()
    return next(t for t in await list_terms(uow) if t.pqrd_type is pqrd_type)


# -- settings ---------------------------------------------------------------------------------------


async def load_clock_settings(uow: UnitOfWork) -> ClockSettings:
    """The defaults of `ClockSettings`, with the stored terms and settings over them."""
    rows = (await uow.session.scalars(select(PqrdTerm))).all()
    terms = {PqrdType(t.pqrd_type): t.term_days for t in rows if t.pqrd_type in _TYPE_CODES}
    stored = {s.key: s.value for s in (await uow.session.scalars(select(LegalClockSetting))).all()}
    values = _coerce({k: v for k, v in stored.items() if k in SETTING_KEYS})
    return ClockSettings(terms=terms, **values)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _coerce(values: dict[str, Any]) -> dict[str, Any]:
    """JSON values to the types of `ClockSettings` (enums by value); wrong types are refused."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        kind = _SETTING_TYPES[key]
        if kind is ExtensionMode or kind is ResumeMode:
            try:
                out[key] = kind(value)
            except ValueError:
                allowed = ", ".join(m.value for m in kind)
                raise InvalidInput(f"{key}: use uno de {allowed}.", code="invalid_setting") from None
            continue
        valid = {
            bool: isinstance(value, bool),
            int: _is_int(value),
            "int | None": value is None or _is_int(value),
        }[kind]
        if not valid:
            raise InvalidInput(f"{key}: valor de tipo incorrecto.", code="invalid_setting")
        out[key] = value
    return out


def settings_dict(settings: ClockSettings) -> dict[str, Any]:
    """The changeable settings as plain JSON values."""
    values = {key: getattr(settings, key) for key in SETTING_KEYS}
    return {k: v.value if isinstance(v, Enum) else v for k, v in values.items()}


async def update_settings(uow: UnitOfWork, changes: dict[str, Any], official_id: int | None) -> ClockSettings:
    """Change some settings; the whole result is validated by `ClockSettings` before it is stored."""
    unknown = sorted(set(changes) - set(SETTING_KEYS))
    if unknown:
        raise InvalidInput(f"Ajustes desconocidos: {', '.join(unknown)}.", code="unknown_setting")
    current = settings_dict(await load_clock_settings(uow))
    merged = ClockSettings(**_coerce({**current, **changes}))
    for key, value in settings_dict(merged).items():
        if key not in changes:
            continue
        row = await uow.session.get(LegalClockSetting, key)
        if row is None:
            row = LegalClockSetting(key=key)
            uow.session.add(row)
        row.value, row.updated_at, row.updated_by = value, uow.clock.now(), official_id
    await uow.commit()
    return merged
