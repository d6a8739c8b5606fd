"""The portal's HTML pages: the PQRD form (`/portal/pqrd`) and the status page (`/portal/pqrd/consulta`).

Server-rendered with Jinja2 (autoescape on) and plain HTML forms, so everything works without
JavaScript; `portal.js` only adds comfort. The form is filed through the intake service, the same
one the API uses, at most once per rendered form (a hidden submission id, see `submission`). Errors
are shown next to their fields and summarised at the top of the page.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web
from sqlalchemy import select

from channels.portal import csrf, forms, submission
from channels.portal.formatting import FILTERS
from channels.portal.status import CaseStatus, lookup
from channels.portal.submission import Receipt
from contact_center.citizens.domain import PRIVACY_NOTICE, PRIVACY_NOTICE_VERSION
from contact_center.core.db.models import Dependencia
from contact_center.core.errors import DomainError, NotFound
from contact_center.core.http import attempts, idempotency, throttle
from contact_center.core.http.keys import JOBS, SETTINGS, UOW
from contact_center.core.http.multipart import read_form
from contact_center.core.uow import UnitOfWork
from contact_center.pqrd.http.support import attachment_store
from contact_center.pqrd.services import intake
from contact_center.pqrd.services.attachments import MAX_FILE_BYTES, MAX_FILES
from contact_center.pqrd.services.numbering import LateNumbering

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
TEMPLATES = web.AppKey("portal_templates", jinja2.Environment)
_HTML = "text/html"


def install_portal(app: web.Application) -> None:
    """Add the portal's pages and static files to the app."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(FILTERS)
    app[TEMPLATES] = env
    app.router.add_get("/portal/pqrd", form_page)
    app.router.add_post("/portal/pqrd", submit_form)
    app.router.add_get("/portal/pqrd/consulta", status_page)
    app.router.add_post("/portal/pqrd/consulta", submit_status)
    app.router.add_static("/portal/static", HERE / "static")


def render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    settings = request.app[SETTINGS]
    context["csrf_token"] = csrf.token_for(request, settings.signing_key())
    html = request.app[TEMPLATES].get_template(template).render(**context)
    response = web.Response(text=html, status=status, content_type=_HTML, charset="utf-8")
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    csrf.set_cookie(request, response, secure=settings.base_url.startswith("https://"))
    return response


async def _dependencias(request: web.Request) -> list[tuple[str, str]]:
    async with request.app[UOW]() as uow:
        rows = await uow.session.execute(
            select(Dependencia.code, Dependencia.name).order_by(Dependencia.name)
        )
        return [(code, name) for code, name in rows]


async def _render_form(request: web.Request, form: forms.PqrdForm, status: int = 200) -> web.Response:
    return render(
        request,
        "pqrd_form.html",
        status,
        form=form,
        types=forms.TYPE_CHOICES,
        document_types=forms.DOCUMENT_TYPES,
        priorities=list(forms.PRIORITY_LABELS.items()),
        dependencias=await _dependencias(request),
        privacy_notice=PRIVACY_NOTICE,
        privacy_version=PRIVACY_NOTICE_VERSION,
        max_files=MAX_FILES,
        max_mb=MAX_FILE_BYTES // (1024 * 1024),
        submission_field=submission.FIELD,
        submission_id=submission.new_id(),
    )


async def form_page(request: web.Request) -> web.Response:
    return await _render_form(request, forms.PqrdForm(values=dict.fromkeys(forms.TEXT_FIELDS, "")))


def _refused(request: web.Request) -> web.Response:
    log.warning("portal_csrf_refused", extra={"path": request.path})
    return render(request, "refused.html", 403)


async def submit_form(request: web.Request) -> web.Response:
    data = await read_form(request)
    if not csrf.is_valid(request, request.app[SETTINGS].signing_key(), data.get(csrf.FIELD)):
        return _refused(request)
    form = forms.read_pqrd_form(data)
    known = {code for code, _ in await _dependencias(request)}
    filing = forms.to_filing(form, data.files, known)
    if filing is None:
        return await _render_form(request, form, 400)
    claim = submission.claim_for(request, data.get(submission.FIELD))
    try:
        receipt = await file_from_portal(request, filing, claim, form)
    except idempotency.IdempotencyKeyReused:
        form.add_service_error(
            "idempotency_key_reused",
            "Este formulario ya se había enviado con otros datos. Revise su solicitud y envíela de nuevo.",
        )
        return await _render_form(request, form, 409)
    except DomainError as exc:
        form.add_service_error(exc.code, exc.message)
        return await _render_form(request, form, exc.status if exc.status < 500 else 400)
    return render(request, "pqrd_done.html", receipt=receipt)


async def file_from_portal(
    request: web.Request, filing: intake.Filing, claim: idempotency.Claim | None, form: forms.PqrdForm
) -> Receipt:
    """File through the intake service (the one the API uses) once per submission id, commit, then
    queue the e-mail; a repeated submission gets the first receipt back and files nothing."""
    settings = request.app[SETTINGS]
    store = attachment_store(request.app)
    done: list[intake.Intake] = []
    numbering = LateNumbering()

    async def effect(uow: UnitOfWork) -> tuple[int, Any]:
        result = await intake.file_pqrd(
            uow,
            filing,
            secret=settings.signing_key(),
            store=store,
            base_url=settings.base_url,
            number_at_end=True,
        )
        done.append(result)
        email = form.values["correo"]
        return 200, numbering.hold(
            result.filed, result.pending, lambda f: Receipt.of(result, f, filing.subject, email).to_json()
        )

    meaning = [form.values, form.priorities, [(u.filename, f.sha256) for u, f in filing.attachments]]

    async def run() -> idempotency.Outcome:
        return await idempotency.once(
            request.app[UOW], claim, idempotency.fingerprint(meaning), effect, numbering
        )

    outcome = await throttle.filing(request, run, lambda o: o.replayed)
    receipt = Receipt.from_json(outcome.json())
    if outcome.replayed:
        log.info("portal_pqrd_resubmitted", extra={"radicado": receipt.radicado})
        return receipt
    await intake.after_commit(request.app.get(JOBS), done[-1])
    log.info("portal_pqrd_filed", extra={"radicado": receipt.radicado})
    return receipt


async def status_page(request: web.Request) -> web.Response:
    radicado = request.query.get("radicado", "")[:30]
    return render(
        request, "consulta.html", values={"radicado": radicado, "codigo": ""}, error=None, case=None
    )


async def submit_status(request: web.Request) -> web.Response:
    data = await read_form(request)
    if not csrf.is_valid(request, request.app[SETTINGS].signing_key(), data.get(csrf.FIELD)):
        return _refused(request)
    values = {"radicado": data.get("radicado").strip()[:30], "codigo": ""}
    code = data.get("codigo").strip()[:40]
    if not values["radicado"] or not code:
        error = "Escriba el número de radicado y el código de acceso."
        return render(request, "consulta.html", 400, values=values, error=error, case=None)
    secret = request.app[SETTINGS].signing_key()

    async def attempt() -> CaseStatus:
        async with request.app[UOW]() as uow:
            return await lookup(uow, values["radicado"], code, secret)

    try:
        policy = attempts.code_policy(request.app[SETTINGS])
        case = await attempts.guarded(request, "code", values["radicado"], attempt, NotFound, policy)
    except DomainError as exc:
        return render(request, "consulta.html", exc.status, values=values, error=exc.message, case=None)
    return render(request, "consulta.html", values=values, error=None, case=case)
