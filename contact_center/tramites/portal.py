"""The portal's catalogue pages: `/portal/tramites` (search, browse by dependencia and by situación
de vida) and `/portal/tramites/{slug}` (the record, its points of service, "¿Le fue útil?").

Server-rendered with the portal's Jinja environment and layout; plain links and forms, so they
work without JavaScript, and a print style sheet for taking the requirements along.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from aiohttp import web
from sqlalchemy import select

from channels.portal import csrf
from channels.portal.pages import TEMPLATES, render
from contact_center.core.db.models import Dependencia
from contact_center.core.errors import DomainError
from contact_center.core.http.keys import SETTINGS, UOW
from contact_center.core.http.multipart import read_form
from contact_center.core.uow import UnitOfWork
from contact_center.tramites import services
from contact_center.tramites.domain import LIFE_SITUATIONS, TO_CONFIRM, TramiteRecord
from contact_center.tramites.models import Tramite

HERE = Path(__file__).parent
MAX_QUERY = 200


def install(app: web.Application) -> None:
    env = app[TEMPLATES]
    loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(HERE / "templates")]
    if env.loader is not None:
        loaders.append(env.loader)
    env.loader = jinja2.ChoiceLoader(loaders)
    app.router.add_get("/portal/tramites", list_page)
    app.router.add_get("/portal/tramites/{slug}", detail_page)
    app.router.add_post("/portal/tramites/{slug}/util", feedback)
    app.router.add_static("/portal/tramites-static", HERE / "static")


async def _dependencias(uow: UnitOfWork) -> list[tuple[str, str]]:
    # Only dependencias that own a published trámite are worth browsing.
    rows = await uow.session.execute(
        select(Dependencia.code, Dependencia.name)
        .where(Dependencia.id.in_(select(Tramite.dependencia_id).where(Tramite.status == "published")))
        .order_by(Dependencia.name)
    )
    return [(code, name) for code, name in rows]


def _int(value: str, default: int) -> int:
    return int(value) if value.isdigit() and len(value) < 4 and int(value) >= 1 else default


async def list_page(request: web.Request) -> web.Response:
    q = request.query.get("q", "")[:MAX_QUERY]
    dep_code = request.query.get("dependencia", "")[:40]
    situation = request.query.get("situacion", "")
    situation = situation if situation in LIFE_SITUATIONS else ""
    page = _int(request.query.get("pagina", ""), 1)
    async with request.app[UOW]() as uow:
        deps = await _dependencias(uow)
        dep_id = None
        if dep_code:
            try:
                dep_id = await services.resolve_dependencia(uow, dep_code)
            except DomainError:
                dep_code = ""
        found = await services.search(uow, q, dependencia_id=dep_id, situation=situation or None, page=page)
        items = [_summary(s) for s in found.items]
        if q.strip() and found.total == 0:
            await services.record_usage(uow, "no_result", "portal", query=q)
            await uow.commit()
    pages = max(1, -(-found.total // services.PAGE_SIZE))

    def page_link(n: int) -> str:
        params = {k: v for k, v in (("q", q), ("dependencia", dep_code), ("situacion", situation)) if v}
        return "/portal/tramites?" + urlencode({**params, "pagina": n})

    return render(
        request,
        "tramites_list.html",
        q=q,
        dependencia=dep_code,
        situacion=situation,
        dependencias=deps,
        situaciones=list(LIFE_SITUATIONS.items()),
        items=items,
        total=found.total,
        page=page,
        pages=pages,
        prev_link=page_link(page - 1) if page > 1 else None,
        next_link=page_link(page + 1) if page < pages else None,
    )


def _summary(shown: services.Shown) -> dict[str, object]:
    record = shown.record
    return {
        "slug": shown.tramite.slug,
        "name": record.name,
        "purpose": record.purpose,
        "dependencia": shown.dependencia.name,
        "online": record.online,
        "cost": record.cost.text,
        "time": record.time_to_obtain.spoken(),
    }


async def detail_page(request: web.Request) -> web.Response:
    slug = request.match_info["slug"]
    async with request.app[UOW]() as uow:
        try:
            shown = await services.shown(uow, slug)
        except DomainError:
            return render(request, "tramites_missing.html", 404)
        record = shown.record
        context: dict[str, Any] = {
            "t": record,
            "slug": slug,
            "version": shown.version.number,
            "published_at": shown.version.published_at,
            "dependencia": shown.dependencia.name,
            "situaciones": [LIFE_SITUATIONS[s] for s in record.life_situations],
            "requirements": _grouped(record),
            "to_confirm": TO_CONFIRM,
            "thanks": request.query.get("gracias") == "1",
        }
        await services.record_usage(uow, "consulted", "portal", tramite_id=shown.tramite.id)
        await uow.commit()
    return render(request, "tramites_detail.html", **context)


REQUIREMENT_LABELS = {
    "momento": "Momentos",
    "accion": "Acciones",
    "condicion": "Condiciones",
    "documento": "Documentos",
    "excepcion": "Excepciones",
}


def _grouped(record: TramiteRecord) -> list[tuple[str, list[str]]]:
    out = []
    for kind, label in REQUIREMENT_LABELS.items():
        texts = [r.text for r in record.requirements if r.kind == kind]
        if texts:
            out.append((label, texts))
    return out


async def feedback(request: web.Request) -> web.Response:
    slug = request.match_info["slug"]
    data = await read_form(request)
    if not csrf.is_valid(request, request.app[SETTINGS].signing_key(), data.get(csrf.FIELD)):
        return render(request, "refused.html", 403)
    answer = data.get("util")
    if answer not in ("si", "no"):
        raise web.HTTPSeeOther(f"/portal/tramites/{slug}")
    async with request.app[UOW]() as uow:
        try:
            await services.feedback(uow, slug, answer == "si", "portal")
        except DomainError:
            return render(request, "tramites_missing.html", 404)
        await uow.commit()
    raise web.HTTPSeeOther(f"/portal/tramites/{slug}?gracias=1#util")
