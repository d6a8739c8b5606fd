"""The catalogue on the 195 line: the host lookups behind the flow's `catalog_menu` node and the
nodes after it (`ivr/flows/linea195.yaml`, section "Información de trámites").

- `tramites_menu` {pagina, por_pagina}: a page of published trámites, most consulted first.
- `tramite_resumen` {tramite}: the voice summary (the consult is counted for the "voice" channel).
- `tramite_sms` {"<slug> <caller>"}: queue an SMS with the trámite's link, when Twilio SMS is
  configured and the caller's number is known; otherwise "not found" (the flow says so).
- `tramite_util` {"<slug> si|no"}: "¿Le fue útil?" for the "voice" channel.
"""

from __future__ import annotations

import logging

from aiohttp import web

from contact_center.citizens.services.identities import normalize_phone
from contact_center.core.config import Settings
from contact_center.core.errors import DomainError
from contact_center.core.http.keys import SETTINGS
from contact_center.core.uow import UnitOfWork
from contact_center.outbound.services.delivery import configured_channels
from contact_center.outbound.services.mail import queue_message
from contact_center.tramites import services
from ivr.answers import IVR_LOOKUPS, ExtraLookup
from ivr.flow import Lookup, LookupResult

log = logging.getLogger(__name__)
MAX_PAGE_SIZE = 7


def install(app: web.Application) -> None:
    lookups = app.setdefault(IVR_LOOKUPS, {})
    lookups.update(
        {
            "tramites_menu": menu_page,
            "tramite_resumen": summary,
            "tramite_sms": _sms_sender(app),
            "tramite_util": useful,
        }
    )


def _arg(request: Lookup, name: str) -> str:
    return request.args.get(name, "") or next(iter(request.args.values()), "")


async def menu_page(uow: UnitOfWork, request: Lookup) -> LookupResult:
    raw_page, raw_size = request.args.get("pagina", "1"), request.args.get("por_pagina", "5")
    page = int(raw_page) if raw_page.isdigit() and 0 < int(raw_page) < 1000 else 1
    size = min(int(raw_size), MAX_PAGE_SIZE) if raw_size.isdigit() and int(raw_size) > 0 else 5
    shown, total = await services.most_consulted(uow, size, (page - 1) * size)
    if not shown:
        return LookupResult(False)
    spoken = " ".join(f"Para {s.record.name}, marque {n}." for n, s in enumerate(shown, start=1))
    return LookupResult(
        True,
        {
            "catalogo_opciones": " ".join(s.tramite.slug for s in shown),
            "catalogo_menu": spoken,
            "catalogo_mas": "si" if page * size < total else "no",
        },
    )


async def summary(uow: UnitOfWork, request: Lookup) -> LookupResult:
    try:
        shown = await services.shown(uow, _arg(request, "tramite"))
    except DomainError:
        return LookupResult(False)  # archived while the caller listened: back to the menu
    await services.record_usage(uow, "consulted", "voice", tramite_id=shown.tramite.id)
    record = shown.record
    return LookupResult(True, {"tramite_nombre": record.name, "tramite_resumen": record.voice_summary})


def _sms_sender(app: web.Application) -> ExtraLookup:
    async def send_link(uow: UnitOfWork, request: Lookup) -> LookupResult:
        settings: Settings = app[SETTINGS]
        slug, _, caller = _arg(request, "sms_tramite").partition(" ")
        if "sms" not in configured_channels(settings) or not caller.strip():
            return LookupResult(False)
        try:
            phone = normalize_phone(caller.strip())
            shown = await services.shown(uow, slug)
        except DomainError:
            return LookupResult(False)
        link = f"{settings.base_url.rstrip('/')}/portal/tramites/{slug}"
        body = f"Alcaldía de Pasto - {shown.record.name}: {link}"
        await queue_message(uow, to=phone, subject="", body=body, channel="sms")
        log.info("tramite_sms_queued", extra={"slug": slug})
        return LookupResult(True)

    return send_link


async def useful(uow: UnitOfWork, request: Lookup) -> LookupResult:
    slug, _, answer = _arg(request, "opinion_tramite").partition(" ")
    try:
        await services.feedback(uow, slug, answer.strip() == "si", "voice")
    except DomainError:
        return LookupResult(False)
    return LookupResult(True)
