"""Job: send a stored acuse de recibo by e-mail (enqueued after the filing commits)."""

from __future__ import annotations

from contact_center.core.jobs.port import JobContext
from contact_center.outbound.jobs import deliver_job


async def send_acknowledgement(ctx: JobContext, outbound_id: int | str) -> None:
    """Deliver the `outbound_messages` row once; a failure is recorded there and the sweep retries it."""
    await deliver_job(ctx, int(outbound_id))
