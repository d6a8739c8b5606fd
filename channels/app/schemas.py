"""Request and response models of the mobile-app API (they are its OpenAPI schemas)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from contact_center.pqrd.domain.legal_clock import PqrdType, PriorityFlag
from contact_center.pqrd.services import citizen_cases as cases
from contact_center.pqrd.services import intake


class AppRegisterIn(BaseModel):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=8, max_length=200)
    name: str = Field(min_length=2, max_length=200)
    document_type: str | None = Field(default=None, max_length=10, description="CC, CE, TI, PA, NIT...")
    document_number: str | None = Field(default=None, max_length=30)
    phone: str | None = Field(default=None, max_length=30)
    data_consent: bool = Field(description="Accepts the privacy notice (Ley 1581 de 2012); must be true")


class AppRegisterOut(BaseModel):
    account_id: int
    email: str
    status: str


class AppVerifyIn(BaseModel):
    token: str = Field(min_length=8, max_length=200)


class AppStatusOut(BaseModel):
    status: str


class AppLoginIn(BaseModel):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=200)


class AppAccountOut(BaseModel):
    id: int
    name: str
    email: str


class AppLoginOut(BaseModel):
    token: str
    account: AppAccountOut


class AppTicket(BaseModel):
    id: int
    radicado: str
    type: str
    type_label: str
    subject: str
    channel: str
    status: str
    status_label: str
    filed_at: datetime
    due_date: date
    updated_at: datetime
    awaiting_citizen: bool = Field(description="A request for more information waits for the citizen")


class AppConversation(BaseModel):
    id: int
    channel: str
    state: str
    topic: str | None
    ticket_id: int | None
    started_at: datetime
    ended_at: datetime | None


class AppCases(BaseModel):
    tickets: list[AppTicket]
    conversations: list[AppConversation]


class AppHistoryEntry(BaseModel):
    at: datetime
    kind: str
    status: str | None
    status_label: str | None
    note: str | None


class AppCase(BaseModel):
    ticket: AppTicket
    description: str
    public_answer: str | None
    history: list[AppHistoryEntry]
    attachments: list[str]


class AppReplyIn(BaseModel):
    text: str = Field(min_length=1, max_length=20000)


class AppAttachIn(BaseModel):
    """Multipart only: one or more `files` parts (PDF, images, text, office documents)."""

    files: list[str] = Field(min_length=1, description="the files, as multipart parts")


class AppPqrdIn(BaseModel):
    """A PQRD filed from the app: the body of `POST /api/v1/pqrd` without the citizen's data, which
    comes from the account (its verified e-mail receives the acknowledgement when asked)."""

    model_config = ConfigDict(extra="forbid")
    type: str = Field(default="peticion", json_schema_extra={"enum": [t.value for t in PqrdType]})
    subject: str = Field(min_length=1, max_length=intake.MAX_SUBJECT)
    description: str = Field(min_length=1, max_length=intake.MAX_DESCRIPTION)
    dependencia: str | None = Field(default=None, max_length=40)
    notify_by_email: bool = False
    priority_flags: list[PriorityFlag] = Field(default_factory=list, max_length=len(PriorityFlag))


class AppPqrdFiled(BaseModel):
    """The acknowledgement: as `POST /api/v1/pqrd` answers, plus the case id for `/app/cases/{id}`."""

    case_id: int
    radicado: str
    access_code: str
    filed_at: datetime
    due_date: date
    status: str


def ticket_out(t: cases.TicketSummary) -> AppTicket:
    return AppTicket(
        id=t.id,
        radicado=t.radicado,
        type=t.pqrd_type,
        type_label=t.pqrd_type_label,
        subject=t.subject,
        channel=t.channel,
        status=t.status,
        status_label=t.status_label,
        filed_at=t.filed_at,
        due_date=t.due_date,
        updated_at=t.updated_at,
        awaiting_citizen=t.awaiting_citizen,
    )


def cases_out(found: cases.Cases) -> AppCases:
    return AppCases(
        tickets=[ticket_out(t) for t in found.tickets],
        conversations=[
            AppConversation(
                id=c.id,
                channel=c.channel,
                state=c.state,
                topic=c.topic,
                ticket_id=c.ticket_id,
                started_at=c.started_at,
                ended_at=c.ended_at,
            )
            for c in found.conversations
        ],
    )


def case_out(detail: cases.CaseDetail) -> AppCase:
    return AppCase(
        ticket=ticket_out(detail.ticket),
        description=detail.description,
        public_answer=detail.public_answer,
        history=[
            AppHistoryEntry(at=e.at, kind=e.kind, status=e.status, status_label=e.status_label, note=e.note)
            for e in detail.history
        ],
        attachments=detail.attachments,
    )
