"""`GET /api/v1/pqrd/deadline`: when a PQRD of a type filed at an instant is due (public).

It answers with the same clock that files tickets: Colombian holidays, the recorded closure days
and the administrator's terms and settings.
"""

from __future__ import annotations

from datetime import date, datetime

from aiohttp import web
from pydantic import BaseModel, Field

from contact_center.core.errors import InvalidInput
from contact_center.core.http.api import ApiRoutes
from contact_center.core.http.keys import UOW
from contact_center.pqrd.domain.legal_clock import PqrdType, parse_pqrd_type
from contact_center.pqrd.services.tickets import load_clock

routes = ApiRoutes()
# Holidays are computed per year; outside this range an answer would mean nothing.
MIN_YEAR, MAX_YEAR = 2000, 2100


class DeadlineQuery(BaseModel):
    type: str = Field(
        description="PQRD type code: " + ", ".join(t.value for t in PqrdType),
        examples=["peticion"],
        max_length=40,
    )
    filed_at: str = Field(
        description="Instant of filing, ISO 8601 with its offset (e.g. 2026-11-23T10:00:00-05:00)",
        examples=["2026-11-23T10:00:00-05:00"],
        max_length=64,
    )


class DeadlineOut(BaseModel):
    type: PqrdType
    filed_at: datetime
    received_on: date
    term_days: int
    due_date: date


def parse_instant(text: str) -> datetime:
    """An aware ISO 8601 instant; 400 `invalid_datetime` or `naive_datetime` otherwise."""
    # An unencoded "+" in a query string arrives as a space ("...T10:00:00 05:00").
    candidate = text.strip()
    if " " in candidate and "T" in candidate:
        candidate = candidate.replace(" ", "+")
    try:
        instant = datetime.fromisoformat(candidate)
    except ValueError:
        raise InvalidInput(
            f"«{text}» no es una fecha y hora ISO 8601 (por ejemplo 2026-11-23T10:00:00-05:00).",
            code="invalid_datetime",
        ) from None
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise InvalidInput(
            "La fecha y hora debe indicar su zona horaria (por ejemplo -05:00).", code="naive_datetime"
        )
    if not MIN_YEAR <= instant.year <= MAX_YEAR:
        raise InvalidInput(
            f"La fecha debe estar entre los años {MIN_YEAR} y {MAX_YEAR}.", code="datetime_out_of_range"
        )
    return instant


@routes.get(
    "/api/v1/pqrd/deadline",
    query=DeadlineQuery,
    responses={200: DeadlineOut},
    tags=["pqrd"],
    summary="Legal due date of a PQRD type filed at an instant (Ley 1755 de 2015, business days)",
)
async def pqrd_deadline(request: web.Request, query: DeadlineQuery) -> web.Response:
    pqrd_type = parse_pqrd_type(query.type)
    filed_at = parse_instant(query.filed_at)
    async with request.app[UOW]() as uow:
        clock = await load_clock(uow)
    deadline = clock.deadline(pqrd_type, filed_at)
    out = DeadlineOut(
        type=pqrd_type,
        filed_at=filed_at,
        received_on=deadline.received_on,
        term_days=deadline.term_days,
        due_date=deadline.due_date,
    )
    return web.json_response(out.model_dump(mode="json"))
