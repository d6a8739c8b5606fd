"""What the chat and the console need to file a PQRD through the intake service, taken from the app."""

from __future__ import annotations

from aiohttp import web

from contact_center.chat.services import conversations as chat
from contact_center.core.http.keys import JOBS, SETTINGS
from contact_center.pqrd.http.support import attachment_store
from contact_center.pqrd.services import intake


def filing_deps(app: web.Application) -> chat.FilingDeps:
    """The signing key, attachment store and public base URL of this app (looked up per filing,
    because the intake feature installs its store on its own)."""
    settings = app[SETTINGS]
    return chat.FilingDeps(settings.signing_key(), attachment_store(app), settings.base_url)


async def after_filing(app: web.Application, result: intake.Intake) -> None:
    """Once committed: send the acknowledgement e-mail in the background, when one was queued."""
    await intake.after_commit(app.get(JOBS), result)
