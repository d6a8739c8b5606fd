"""Filing a PQRD from an API route: once per `Idempotency-Key`, the acknowledgement after commit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from contact_center.services import intake
from contact_center.services.tickets import FiledTicket
from contact_center.services.uow import UnitOfWork
from contact_center.web import idempotency, throttle
from contact_center.web.keys import JOBS, SETTINGS
from contact_center.web.pqrd_support import attachment_store, filing_slots


async def file_once(
    request: web.Request,
    filing: intake.Filing,
    meaning: Any,
    answer: Callable[[FiledTicket], BaseModel],
) -> web.Response:
    """201 with `answer(filed)`; a retry with the same key and `meaning` gets the first answer back.

    The route must be marked `@idempotency.in_transaction`. The filing's jobs (acknowledgement
    e-mail) are queued only after the commit, so a rolled-back filing sends nothing."""
    settings = request.app[SETTINGS]
    done: list[intake.Intake] = []

    async def effect(uow: UnitOfWork) -> tuple[int, Any]:
        result = await intake.file_pqrd(
            uow,
            filing,
            secret=settings.signing_key(),
            store=attachment_store(request.app),
            base_url=settings.base_url,
        )
        done.append(result)
        return 201, answer(result.filed).model_dump(mode="json")

    async def after() -> None:
        await intake.after_commit(request.app.get(JOBS), done[-1])

    async def run() -> web.Response:
        async with filing_slots(request.app):
            return await idempotency.run_once(request, idempotency.fingerprint(meaning), effect, after)

    return await throttle.filing(request, run, lambda r: idempotency.REPLAYED_HEADER in r.headers)
