"""Filing a PQRD from an API route: once per `Idempotency-Key`, the acknowledgement after commit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from contact_center.core.http import idempotency, throttle
from contact_center.core.http.keys import JOBS, SETTINGS
from contact_center.core.uow import UnitOfWork
from contact_center.pqrd.http.support import attachment_store, filing_slots
from contact_center.pqrd.services import intake
from contact_center.pqrd.services.numbering import LateNumbering
from contact_center.pqrd.services.tickets import FiledTicket


async def file_once(
    request: web.Request,
    filing: intake.Filing | intake.CheckedFiling,
    meaning: Any,
    answer: Callable[[FiledTicket], BaseModel],
) -> web.Response:
    """201 with `answer(filed)`; a retry with the same key and `meaning` gets the first answer back.

    The route must be marked `@idempotency.in_transaction`. The filing's jobs (acknowledgement
    e-mail) are queued only after the commit, so a rolled-back filing sends nothing."""
    settings = request.app[SETTINGS]
    done: list[intake.Intake] = []
    numbering = LateNumbering()

    async def effect(uow: UnitOfWork) -> tuple[int, Any]:
        result = await intake.file_pqrd(
            uow,
            filing,
            secret=settings.signing_key(),
            store=attachment_store(request.app),
            base_url=settings.base_url,
            number_at_end=True,
        )
        done.append(result)
        return 201, numbering.hold(result.filed, result.pending, lambda f: answer(f).model_dump(mode="json"))

    async def after() -> None:
        await intake.after_commit(request.app.get(JOBS), done[-1])

    async def run() -> web.Response:
        async with filing_slots(request.app):
            return await idempotency.run_once(
                request, idempotency.fingerprint(meaning), effect, after, last_write=numbering
            )

    return await throttle.filing(request, run, lambda r: idempotency.REPLAYED_HEADER in r.headers)
