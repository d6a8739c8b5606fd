"""Filing the portal form at most once: a hidden submission id per rendered form.

A browser resubmit (reload of the POST, the back button, a double click) sends the same id again; it
keys the shared idempotency records (`contact_center.core.http.idempotency.once`), so the repetition gets
the receipt of the first filing and files nothing. The scope is tied to the browser's CSRF cookie:
somebody who learns an id from another browser cannot replay that receipt (with its access code).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from aiohttp import web

from channels.portal import csrf
from contact_center.core.http.idempotency import Claim
from contact_center.pqrd.services.intake import Intake
from contact_center.pqrd.services.tickets import FiledTicket

FIELD = "envio"
_SCOPE = "portal /portal/pqrd"
_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")  # token_urlsafe


def new_id() -> str:
    return secrets.token_urlsafe(18)


def claim_for(request: web.Request, submitted: str) -> Claim | None:
    """The idempotency claim of this form's submission id (None when the form carries none)."""
    if not (16 <= len(submitted) <= 64 and set(submitted) <= _ALPHABET):
        return None  # an old page or a hand-made post: filed without de-duplication
    browser = hashlib.sha256(request.cookies.get(csrf.COOKIE, "").encode()).hexdigest()[:16]
    return Claim(scope=f"{_SCOPE} {browser}", key=submitted)


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the receipt page shows; stored with the submission so a resubmission shows it again."""

    radicado: str
    access_code: str
    filed_at: datetime
    due_date: date
    subject: str
    emailed_to: str | None

    @classmethod
    def of(cls, done: Intake, filed: FiledTicket, subject: str, email: str) -> Receipt:
        """`filed`: the filing's acknowledgement (with the radicado once it is numbered)."""
        emailed = email if done.outbound_id is not None else None
        return cls(filed.radicado, filed.access_code, filed.filed_at, filed.due_date, subject, emailed)

    def to_json(self) -> dict[str, Any]:
        return {
            "radicado": self.radicado,
            "access_code": self.access_code,
            "filed_at": self.filed_at.isoformat(),
            "due_date": self.due_date.isoformat(),
            "subject": self.subject,
            "emailed_to": self.emailed_to,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Receipt:
        return cls(
            radicado=data["radicado"],
            access_code=data["access_code"],
            filed_at=datetime.fromisoformat(data["filed_at"]),
            due_date=date.fromisoformat(data["due_date"]),
            subject=data["subject"],
            emailed_to=data["emailed_to"],
        )
