"""Jobs of outbound messages: deliver one stored e-mail or SMS."""

from __future__ import annotations

from contact_center.core.jobs.port import JobContext
from contact_center.outbound.models import OutboundMessage
from contact_center.outbound.services.delivery import Senders, deliver, retry_policy

DELIVER_JOB = "contact_center.outbound.jobs:deliver_job"


async def deliver_job(ctx: JobContext, outbound_id: int) -> None:
    """Deliver one outbound message (e-mail or SMS); a failure is recorded on the row, which the
    sweep hands to this job again when its next attempt is due."""
    async with ctx.uow() as uow:
        message = await uow.session.get(OutboundMessage, int(outbound_id))
        channel = message.channel if message is not None else None
    if channel is None:
        return
    senders = Senders(mailer=ctx.mailer, sms=ctx.sms if channel == "sms" else None)
    await deliver(ctx.uow, senders, int(outbound_id), policy=retry_policy(ctx.settings))
