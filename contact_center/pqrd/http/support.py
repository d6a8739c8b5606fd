"""Plumbing of the PQRD routes: multipart reading with limits, the attachment store, the `/metrics`
gauge of outbound messages, and `install_intake` which wires them into the app."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any, TypeVar

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError
from prometheus_client import Gauge
from pydantic import BaseModel
from sqlalchemy import func, select

from contact_center.core.errors import InvalidInput
from contact_center.core.http.api import Handler, parse_model
from contact_center.core.http.idempotency import idempotency_middleware
from contact_center.core.http.keys import METRICS, SERVICES, SETTINGS, UOW
from contact_center.outbound.models import OutboundMessage
from contact_center.outbound.services import delivery as outbound
from contact_center.pqrd.services.attachments import MAX_FILE_BYTES, Upload, check_count, too_large

M = TypeVar("M", bound=BaseModel)
MAX_TEXT_FIELD = 100 * 1024  # bytes: the description's 20,000 characters fit in UTF-8
_STORE, _GAUGE = "intake.attachments", "intake.outbound_gauge"
_SLOTS = "intake.filing_slots"
FILING_SLOTS = 4
_LISTS = {"priority_flags"}


async def read_multipart(request: web.Request, model: type[M]) -> tuple[M, list[Upload]]:
    """Flat form fields (`citizen.name` for nested ones) into `model`, and the `files` parts."""
    fields: dict[str, Any] = {}
    uploads: list[Upload] = []
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                raise InvalidInput("Las partes anidadas no están permitidas.", code="invalid_multipart")
            if part.filename is not None:
                check_count(len(uploads) + 1)
                uploads.append(Upload(part.filename, await _read(part, MAX_FILE_BYTES, part.filename)))
            else:
                _put(fields, part.name or "", (await _read(part, MAX_TEXT_FIELD, None)).decode("utf-8"))
    except (ValueError, AssertionError, UnicodeDecodeError, LookupError, HttpProcessingError) as exc:
        raise InvalidInput("El formulario multipart no es válido.", code="invalid_multipart") from exc
    return parse_model(model, fields), uploads


async def _read(part: BodyPartReader, limit: int, filename: str | None) -> bytes:
    data = bytearray()
    while chunk := await part.read_chunk(256 * 1024):
        data += chunk
        if len(data) > limit:
            if filename is not None:
                raise too_large(filename)
            raise InvalidInput(f"El campo «{part.name}» es demasiado largo.", code="text_too_long")
    return bytes(data)


def _put(fields: dict[str, Any], name: str, value: str) -> None:
    head, _, tail = name.partition(".")
    if tail:
        nested = fields.setdefault(head, {})
        if isinstance(nested, dict):
            nested[tail] = value
    elif name in _LISTS:
        if value:
            fields.setdefault(name, []).append(value)
    else:
        fields[name] = value


def filing_slots(app: web.Application) -> asyncio.Semaphore:
    """Admission control of the filing transaction: at most `FILING_SLOTS` per process at once.

    A filing holds the year's radicado row lock from taking its number to its commit, a few
    awaits; with dozens of filings runnable on the event loop, each of those awaits waits its
    turn behind all of them and every other filing queues on the lock meanwhile. Letting a few in
    at a time keeps the loop short, so the lock is held for round trips rather than loop turns."""
    services = app[SERVICES]
    if _SLOTS not in services:
        services[_SLOTS] = asyncio.Semaphore(FILING_SLOTS)
    slots: asyncio.Semaphore = services[_SLOTS]
    return slots


def attachment_store(app: web.Application) -> Any:
    return app[SERVICES][_STORE]


@web.middleware
async def outbound_metrics(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refresh `outbound_messages{channel,status}` from the database when /metrics is scraped."""
    if request.path == "/metrics":
        gauge: Gauge = request.app[SERVICES][_GAUGE]
        counts: dict[tuple[str, str], int] = defaultdict(int)
        async with request.app[UOW]() as uow:
            rows = await uow.session.execute(
                select(OutboundMessage.channel, OutboundMessage.status, func.count()).group_by(
                    OutboundMessage.channel, OutboundMessage.status
                )
            )
            for channel, status, count in rows:
                counts[(channel, status)] = count
        for channel in ("email", "sms"):
            for status in outbound.STATUSES:
                gauge.labels(channel, status).set(counts[(channel, status)])
    return await handler(request)


def install_intake(app: web.Application) -> None:
    """Idempotency on every POST, the attachment store and the outbound-messages gauge."""
    from contact_center.pqrd.services.attachments import AttachmentStore

    app.middlewares.append(idempotency_middleware)
    app.middlewares.append(outbound_metrics)
    app[SERVICES][_STORE] = AttachmentStore(app[SETTINGS].data_dir / "attachments")
    app[SERVICES][_GAUGE] = Gauge(
        "outbound_messages",
        "Messages to citizens by channel and delivery status (retrying ones are retried; failed is final)",
        ["channel", "status"],
        registry=app[METRICS],
    )
