"""The radicado taken by a filing's last statement (PostgreSQL), for filings answered at most once
per `Idempotency-Key` (the API, the portal form): see `pqrd.queries.filing_rows`."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from contact_center.core.http.idempotency import StoredAnswer
from contact_center.core.uow import UnitOfWork
from contact_center.pqrd.queries.filing_rows import PendingTicket, finish_filing
from contact_center.pqrd.services.tickets import FiledTicket

Render = Callable[[FiledTicket], Any]


class LateNumbering:
    """`idempotency.LastWrite` of one filing (make one per request): the effect hands it the filing
    (`hold`), and its last statement takes the radicado and stores the answer (`finish_filing`), so
    only COMMIT runs under the year's counter lock. The answer is rendered again with the number."""

    def __init__(self) -> None:
        self._held: tuple[FiledTicket, PendingTicket, Render] | None = None

    def hold(self, filed: FiledTicket, pending: PendingTicket | None, render: Render) -> Any:
        """The answer's body; while the ticket waits for its number it shows the placeholder, which
        the stored answer replaces in SQL and `finish` renders again."""
        self._held = (filed, pending, render) if pending is not None else None
        return render(filed)

    async def finish(self, uow: UnitOfWork, answer: StoredAnswer | None, payload: bytes) -> bytes | None:
        if self._held is None:
            return None
        filed, pending, render = self._held
        radicado = await finish_filing(uow.session, pending, answer)
        return json.dumps(render(replace(filed, radicado=radicado))).encode()
