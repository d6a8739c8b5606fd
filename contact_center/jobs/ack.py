"""Job: send a stored acuse de recibo by e-mail (enqueued after the filing commits)."""

from __future__ import annotations

from contact_center.jobs.port import JobContext
from contact_center.services.mail import deliver


async def send_acknowledgement(ctx: JobContext, outbound_id: int | str) -> None:
    """Deliver the `outbound_messages` row once; a failure is recorded there and raised for a retry."""
    await deliver(ctx.uow, ctx.mailer, int(outbound_id))
