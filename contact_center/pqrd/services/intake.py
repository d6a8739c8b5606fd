"""Filing a PQRD from any channel: the portal form, the API, the app, a phone call, an official.

One use case, `file_pqrd`, inside the caller's unit of work: validate everything first (so bad input
changes nothing), find or create the citizen (by proven identities, then by the typed e-mail; never
by document), record their consent with the privacy notice's version, file the ticket (radicado,
legal due date, first event), store the attachments and record the acknowledgement. The caller
commits, then calls `after_commit` to send the acknowledgement e-mail in the background.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from contact_center.citizens.services.identities import CitizenDetails, citizen_for_filing, normalize_email
from contact_center.core.errors import InvalidInput
from contact_center.core.jobs.port import Jobs
from contact_center.core.uow import UnitOfWork
from contact_center.pqrd.domain.legal_clock import PqrdType, PriorityFlag
from contact_center.pqrd.queries.filing_rows import PendingTicket
from contact_center.pqrd.services.acknowledgement import ACK_JOB, acknowledge
from contact_center.pqrd.services.attachments import AttachmentStore, StoredFile, Upload, store_attachments
from contact_center.pqrd.services.tickets import Actor, FiledTicket, NewTicket, file_ticket_row

MAX_SUBJECT = 300
MAX_DESCRIPTION = 20_000


@dataclass(frozen=True)
class Filing:
    """A PQRD as a citizen presented it, on any channel."""

    pqrd_type: PqrdType
    subject: str
    description: str
    channel: str
    citizen: CitizenDetails | None = None
    anonymous: bool = False
    data_consent: bool = False
    notify_by_email: bool = False
    dependencia_code: str | None = None
    priority_flags: frozenset[PriorityFlag] = frozenset()
    attachments: list[tuple[Upload, StoredFile]] = field(default_factory=list)  # from check_uploads
    verbal: bool = False
    conversation_id: int | None = None
    # The citizen the channel already identified by proof (an app account's): no matching, and
    # the consent on record from sign-up stands.
    known_citizen_id: int | None = None


@dataclass(frozen=True)
class Intake:
    """What the filing produced: the acknowledgement shown at once, and the e-mail to send;
    `pending` when the radicado waits for the transaction's last statement (`numbering`)."""

    filed: FiledTicket
    citizen_id: int | None
    outbound_id: int | None
    pending: PendingTicket | None = None


@dataclass(frozen=True)
class CheckedFiling:
    """A filing `check_filing` accepted, with the e-mail to acknowledge to (if any)."""

    filing: Filing
    email: str | None


def check_filing(filing: Filing) -> CheckedFiling:
    """Refuse an incomplete or inconsistent filing (`InvalidInput`), before anything is written."""
    if not filing.subject.strip() or not filing.description.strip():
        raise InvalidInput("El asunto y la descripción son obligatorios.", code="missing_text")
    if len(filing.subject) > MAX_SUBJECT or len(filing.description) > MAX_DESCRIPTION:
        raise InvalidInput(
            f"El asunto admite {MAX_SUBJECT} caracteres y la descripción {MAX_DESCRIPTION:,}.".replace(
                ",", "."
            ),
            code="text_too_long",
        )
    citizen = filing.citizen
    if citizen is None and not filing.anonymous:
        raise InvalidInput(
            "Indique sus datos de contacto o marque la solicitud como anónima.", code="citizen_required"
        )
    if citizen is not None and not filing.data_consent:
        raise InvalidInput(
            "Debe autorizar el tratamiento de sus datos personales para radicar con sus datos.",
            code="consent_required",
        )
    if citizen is not None:
        citizen.identities()  # validates document, e-mail and phone formats
    email = normalize_email(citizen.email) if citizen is not None and citizen.email else None
    if filing.notify_by_email and email is None:
        raise InvalidInput(
            "Para recibir notificaciones por correo indique su correo electrónico.", code="email_required"
        )
    return CheckedFiling(filing, email if filing.notify_by_email else None)


async def file_pqrd(
    uow: UnitOfWork,
    filing: Filing | CheckedFiling,
    *,
    secret: bytes,
    store: AttachmentStore,
    base_url: str,
    number_at_end: bool = False,
) -> Intake:
    """File the PQRD with everything that goes with it; the caller commits.

    `number_at_end`: the caller finishes the filing with `numbering.LateNumbering` (on PostgreSQL the
    radicado is then taken by the transaction's last statement)."""
    checked = filing if isinstance(filing, CheckedFiling) else check_filing(filing)
    filing, email = checked.filing, checked.email
    citizen_id = filing.known_citizen_id
    if filing.citizen is not None and citizen_id is None:
        citizen_id = await citizen_for_filing(uow, filing.citizen, channel=filing.channel)
    actor = Actor("citizen", citizen_id)
    # Attachments and the e-mail point at the ticket row before the end: no radicado taken last.
    late = number_at_end and email is None and not filing.attachments
    new = _new_ticket(filing, citizen_id)
    row = await file_ticket_row(uow, new, actor, secret=secret, number_at_end=late)
    if filing.attachments:
        await store_attachments(uow, store, row.ticket.id, filing.attachments)
    ack = await acknowledge(uow, row.ticket, email=email, base_url=base_url, trail=row.trail)
    await row.trail.write(uow.session, row.pending)  # the ticket's events: one INSERT at the end
    return Intake(row.filed, citizen_id, ack.outbound_id, row.pending)


def _new_ticket(filing: Filing, citizen_id: int | None) -> NewTicket:
    return NewTicket(
        pqrd_type=filing.pqrd_type,
        subject=filing.subject,
        description=filing.description,
        channel=filing.channel,
        dependencia_code=filing.dependencia_code,
        citizen_id=citizen_id,
        anonymous=filing.anonymous,
        priority_flags=filing.priority_flags,
        notify_by_email=filing.notify_by_email,
        verbal=filing.verbal,
        conversation_id=filing.conversation_id,
    )


async def after_commit(jobs: Jobs | None, intake: Intake) -> None:
    """Send the acknowledgement e-mail in the background, once the filing is committed."""
    if jobs is not None and intake.outbound_id is not None:
        await jobs.enqueue(ACK_JOB, intake.outbound_id, job_id=f"ack:{intake.outbound_id}", retries=5)
