"""PQRD reports for supervisors, administrators and the transparency report (Ley 1712 de 2014).

A report covers the PQRDs *received* in a period (by their date of receipt in Bogotá, inclusive at
both ends) and describes where each of them stands when the report is made: answered on time or
late, pending (and overdue), forwarded, extended, lapsed. Counts are SQL aggregates grouped in the
database (one query per breakdown); only the answered tickets of the period are read one by one,
because the response time in business days needs the business calendar (holidays and the city's
closure days) that SQL does not know.

Definitions (documented in the README):
- answered: the ticket has a `respondido` event; on time when that event's Bogotá date is on or
  before the ticket's due date (extension and suspensions included), late otherwise.
- response time: business days from the date of receipt to the date of the answer
  (`BusinessCalendar.business_days_between`: answered on the day of receipt = 0).
- p90: the nearest-rank 90th percentile of those response times.
- pending: the ticket is in an open status; overdue when its clock runs and its due date passed.
- extended: the ticket has a `prorrogado` event; forwarded / lapsed: status `trasladado` / `desistido`.
- access denied: the answer event's data has `access_denied: true` (Decreto 103 de 2015 art. 52).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import InstrumentedAttribute

from contact_center.core.db.models import Dependencia, Ticket, TicketEvent
from contact_center.core.errors import InvalidInput
from contact_center.core.spanish_dates import MONTHS, day_month_year
from contact_center.core.uow import UnitOfWork
from contact_center.pqrd.domain.calendar import BusinessCalendar, bogota_date
from contact_center.pqrd.domain.labels import channel_label, status_label
from contact_center.pqrd.domain.legal_clock import PQRD_TYPE_LABELS, PqrdType
from contact_center.pqrd.domain.tickets import CLOCK_RUNNING_STATUSES, OPEN_STATUSES, TicketStatus
from contact_center.pqrd.services.tickets import load_clock

MAX_RANGE_DAYS = 5 * 366
# Open and not yet answered: an answered ticket waiting for its notification is not pending.
PENDING_STATUSES = OPEN_STATUSES - {TicketStatus.RESPONDIDO}
INFORMATION_REQUEST = PqrdType.PETICION_DOCUMENTOS  # Ley 1712: solicitudes de acceso a información


class GroupBy(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True, slots=True)
class ReportQuery:
    """What to report on: receipt dates `start`..`end` (inclusive), optionally one dependencia or type."""

    start: date
    end: date
    group_by: GroupBy = GroupBy.MONTH
    dependencia_code: str | None = None
    pqrd_type: PqrdType | None = None

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidInput("La fecha final es anterior a la inicial.", code="invalid_report_range")
        if (self.end - self.start).days > MAX_RANGE_DAYS:
            raise InvalidInput(
                "El periodo del reporte no puede superar cinco años.", code="report_range_too_long"
            )


@dataclass(slots=True)
class Figures:
    """The figures of one group of PQRDs."""

    received: int = 0
    answered: int = 0
    answered_on_time: int = 0
    answered_late: int = 0
    pending: int = 0
    pending_overdue: int = 0
    forwarded: int = 0
    extended: int = 0
    lapsed: int = 0
    access_denied: int = 0
    avg_response_days: float | None = None
    p90_response_days: int | None = None
    response_days: list[int] = field(default_factory=list, repr=False)

    def add_counts(self, other: Figures) -> None:
        for name in _COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def add_answer(self, days: int, on_time: bool, denied: bool) -> None:
        self.answered += 1
        self.answered_on_time += on_time
        self.answered_late += not on_time
        self.access_denied += denied
        self.response_days.append(days)

    def finish(self) -> Figures:
        self.avg_response_days = (
            round(sum(self.response_days) / len(self.response_days), 2) if self.response_days else None
        )
        self.p90_response_days = percentile(self.response_days, 90)
        return self


_COUNTS = ("received", "pending", "pending_overdue", "forwarded", "extended", "lapsed")


@dataclass(frozen=True, slots=True)
class Group:
    """One row of a breakdown: `key` is stable (a date, a type code, a channel, a dependencia code)."""

    key: str
    label: str
    figures: Figures


@dataclass(frozen=True, slots=True)
class InformationRequest:
    """One request for public information, as Decreto 103 de 2015 art. 52 asks to report it."""

    radicado: str
    received_on: date
    dependencia: str  # its code
    status: str  # its code
    answered_on: date | None
    response_days: int | None
    forwarded: bool
    access_denied: bool
    dependencia_name: str = ""
    status_label: str = ""


@dataclass(frozen=True, slots=True)
class Transparency:
    received: int
    forwarded: int
    access_denied: int
    answered: int
    avg_response_days: float | None
    requests: list[InformationRequest]


@dataclass(frozen=True, slots=True)
class PqrdReport:
    query: ReportQuery
    generated_at: datetime
    totals: Figures
    periods: list[Group]
    by_type: list[Group]
    by_channel: list[Group]
    by_dependencia: list[Group]
    transparency: Transparency


def percentile(values: Sequence[int], pct: int) -> int | None:
    """Nearest-rank percentile: the smallest value with at least `pct` % of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(pct / 100 * len(ordered))) - 1]


def period_start(day: date, group_by: GroupBy) -> date:
    """The first day of the day, ISO week (Monday) or month that `day` falls in."""
    if group_by is GroupBy.WEEK:
        return day - timedelta(days=day.weekday())
    if group_by is GroupBy.MONTH:
        return day.replace(day=1)
    return day


def period_label(start: date, group_by: GroupBy) -> str:
    """The period in words ("Semana del 23 de noviembre de 2026"); its key stays the ISO date."""
    if group_by is GroupBy.WEEK:
        return f"Semana del {day_month_year(start)}"
    if group_by is GroupBy.MONTH:
        return f"{MONTHS[start.month - 1].capitalize()} de {start.year}"
    return day_month_year(start)


def next_period(start: date, group_by: GroupBy) -> date:
    """The first day of the period after the one starting on `start`."""
    if group_by is GroupBy.WEEK:
        return start + timedelta(days=7)
    if group_by is GroupBy.MONTH:
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=1)


def _periods(query: ReportQuery) -> list[date]:
    """Every period of the range, so charts get explicit zeros."""
    out, day = [], period_start(query.start, query.group_by)
    while day <= query.end:
        out.append(day)
        day = next_period(day, query.group_by)
    return out


async def pqrd_report(uow: UnitOfWork, query: ReportQuery) -> PqrdReport:
    """The figures of the PQRDs received in the query's period, as they stand now."""
    dependencias = await _dependencias(uow)
    filters = _filters(query, dependencias)
    today = bogota_date(uow.clock.now())
    calendar = (await load_clock(uow)).calendar
    dims: dict[str, InstrumentedAttribute[Any]] = {
        "period": Ticket.received_on,
        "type": Ticket.pqrd_type,
        "channel": Ticket.channel,
        "dependencia": Ticket.dependencia_id,
    }
    groups: dict[str, dict[Any, Figures]] = {}
    for name, column in dims.items():
        rows = (await uow.session.execute(_count_query(column, filters, today))).all()
        groups[name] = {row[0]: _figures(row[1:]) for row in rows}
    groups["period"] = _roll_up(groups["period"], query.group_by)
    groups["total"] = {"": _total(groups["type"].values())}
    answered = await _answered(uow, filters)
    _add_answers(groups, answered, calendar, query.group_by)
    return PqrdReport(
        query=query,
        generated_at=uow.clock.now(),
        totals=groups["total"][""].finish(),
        periods=_period_rows(groups["period"], query),
        by_type=_rows(groups["type"], str, _type_label),
        by_channel=_rows(groups["channel"], str, channel_label),
        by_dependencia=_rows(
            groups["dependencia"], lambda key: dependencias[key].code, lambda key: dependencias[key].name
        ),
        transparency=await _transparency(uow, query, filters, calendar, dependencias),
    )


# -- queries ---------------------------------------------------------------------------------------


async def _dependencias(uow: UnitOfWork) -> dict[int, Dependencia]:
    return {d.id: d for d in (await uow.session.scalars(select(Dependencia))).all()}


def _filters(query: ReportQuery, dependencias: dict[int, Dependencia]) -> list[ColumnElement[bool]]:
    filters = [Ticket.received_on >= query.start, Ticket.received_on <= query.end]
    if query.dependencia_code is not None:
        ids = [d.id for d in dependencias.values() if d.code == query.dependencia_code]
        if not ids:
            raise InvalidInput(
                f"Dependencia desconocida: «{query.dependencia_code}».", code="unknown_dependencia"
            )
        filters.append(Ticket.dependencia_id == ids[0])
    if query.pqrd_type is not None:
        filters.append(Ticket.pqrd_type == query.pqrd_type.value)
    return filters


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _has_event_to(status: TicketStatus) -> ColumnElement[bool]:
    return (
        select(TicketEvent.id)
        .where(TicketEvent.ticket_id == Ticket.id, TicketEvent.to_status == status.value)
        .exists()
    )


def _count_query(
    column: InstrumentedAttribute[Any], filters: list[ColumnElement[bool]], today: date
) -> Select[Any]:
    """Received, pending, pending overdue, forwarded, extended and lapsed, grouped by `column`."""
    running = [s.value for s in CLOCK_RUNNING_STATUSES]
    return (
        select(
            column,
            func.count(Ticket.id),
            _count_if(Ticket.status.in_([s.value for s in PENDING_STATUSES])),
            _count_if(Ticket.status.in_(running) & (Ticket.due_date < today)),
            _count_if(Ticket.status == TicketStatus.TRASLADADO.value),
            _count_if(_has_event_to(TicketStatus.PRORROGADO)),
            _count_if(Ticket.status == TicketStatus.DESISTIDO.value),
        )
        .where(*filters)
        .group_by(column)
    )


def _figures(values: Sequence[Any]) -> Figures:
    figures = Figures()
    for name, value in zip(_COUNTS, values, strict=True):
        setattr(figures, name, int(value))
    return figures


@dataclass(frozen=True, slots=True)
class _Answer:
    received_on: date
    due_date: date
    pqrd_type: str
    channel: str
    dependencia_id: int
    answered_at: datetime
    access_denied: bool | None


async def _answered(uow: UnitOfWork, filters: list[ColumnElement[bool]]) -> list[_Answer]:
    """The answered tickets of the period with their answer event (a ticket is answered once)."""
    stmt = (
        select(
            Ticket.received_on,
            Ticket.due_date,
            Ticket.pqrd_type,
            Ticket.channel,
            Ticket.dependencia_id,
            TicketEvent.at,
            _access_denied(),
        )
        .join(TicketEvent, TicketEvent.ticket_id == Ticket.id)
        .where(TicketEvent.to_status == TicketStatus.RESPONDIDO.value, *filters)
    )
    return [_Answer(*row) for row in (await uow.session.execute(stmt)).all()]


def _access_denied() -> ColumnElement[bool]:
    # Only the flag: the answer event's data also holds the whole answer text.
    flag: ColumnElement[bool] = TicketEvent.data["access_denied"].as_boolean()
    return flag


def _add_answers(
    groups: dict[str, dict[Any, Figures]],
    answers: Iterable[_Answer],
    calendar: BusinessCalendar,
    group_by: GroupBy,
) -> None:
    for a in answers:
        answered_on = bogota_date(a.answered_at)
        days = calendar.business_days_between(a.received_on, answered_on)
        keys = {
            "period": period_start(a.received_on, group_by),
            "type": a.pqrd_type,
            "channel": a.channel,
            "dependencia": a.dependencia_id,
            "total": "",
        }
        for dim, key in keys.items():
            groups[dim].setdefault(key, Figures()).add_answer(
                days, answered_on <= a.due_date, bool(a.access_denied)
            )


async def _transparency(
    uow: UnitOfWork,
    query: ReportQuery,
    filters: list[ColumnElement[bool]],
    calendar: BusinessCalendar,
    dependencias: dict[int, Dependencia],
) -> Transparency:
    """Requests for public information (Ley 1712 art. 11 lit. h; Decreto 103 de 2015 art. 52)."""
    answered = (TicketEvent.ticket_id == Ticket.id) & (TicketEvent.to_status == TicketStatus.RESPONDIDO.value)
    stmt = (
        select(
            Ticket.radicado,
            Ticket.received_on,
            Ticket.dependencia_id,
            Ticket.status,
            TicketEvent.at,
            _access_denied(),
        )
        .outerjoin(TicketEvent, answered)
        .where(*filters, Ticket.pqrd_type == INFORMATION_REQUEST.value)
        .order_by(Ticket.received_on, Ticket.radicado)
    )
    requests = []
    for radicado, received_on, dep_id, status, at, denied in (await uow.session.execute(stmt)).all():
        answered_on = bogota_date(at) if at is not None else None
        requests.append(
            InformationRequest(
                radicado=radicado,
                received_on=received_on,
                dependencia=dependencias[dep_id].code,
                status=status,
                answered_on=answered_on,
                response_days=(
                    calendar.business_days_between(received_on, answered_on) if answered_on else None
                ),
                forwarded=status == TicketStatus.TRASLADADO.value,
                access_denied=bool(denied),
                dependencia_name=dependencias[dep_id].name,
                status_label=status_label(status),
            )
        )
    days = [r.response_days for r in requests if r.response_days is not None]
    return Transparency(
        received=len(requests),
        forwarded=sum(r.forwarded for r in requests),
        access_denied=sum(r.access_denied for r in requests),
        answered=len(days),
        avg_response_days=round(sum(days) / len(days), 2) if days else None,
        requests=requests,
    )


# -- shaping ---------------------------------------------------------------------------------------


def _roll_up(by_day: dict[Any, Figures], group_by: GroupBy) -> dict[Any, Figures]:
    """Fold the per-day counts into weeks or months (at most a few hundred rows: cheap here)."""
    out: dict[Any, Figures] = defaultdict(Figures)
    for day, figures in by_day.items():
        out[period_start(day, group_by)].add_counts(figures)
    return dict(out)


def _total(type_groups: Iterable[Figures]) -> Figures:
    total = Figures()
    for figures in type_groups:
        total.add_counts(figures)
    return total


def _type_label(code: str) -> str:
    try:
        return PQRD_TYPE_LABELS[PqrdType(code)]
    except ValueError:
        return code


def _rows(mapping: dict[Any, Figures], key: Callable[[Any], str], label: Callable[[Any], str]) -> list[Group]:
    rows = [Group(key(k), label(k), figures.finish()) for k, figures in mapping.items()]
    return sorted(rows, key=lambda g: g.key)


def _period_rows(mapping: dict[Any, Figures], query: ReportQuery) -> list[Group]:
    return [
        Group(start.isoformat(), period_label(start, query.group_by), mapping.get(start, Figures()).finish())
        for start in _periods(query)
    ]
