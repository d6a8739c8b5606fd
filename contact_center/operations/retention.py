"""Retention: what may be deleted after how long, and the sweep that deletes it.

Only three things are ever purged, each only when its setting is above 0:

- chat transcripts (`messages`) of conversations that ended `RETENTION_CHAT_DAYS` ago and are not part
  of a PQRD (no `conversations.ticket_id`, no attachment on the conversation);
- recording files in `RECORDINGS_DIR` (Asterisk's spool, when mounted here) older than
  `RETENTION_RECORDINGS_DAYS` that no attachment references (a verbal PQRD's recording is part of it);
- idempotency records older than `RETENTION_IDEMPOTENCY_DAYS`.

PQRD tickets, their events (the hash-chained audit trail), attachments and anything linked to a
ticket are never touched: the Ley 594 de 2000 (Ley General de Archivos) and the entity's tablas de
retención documental decide how long they are kept, not this software (docs/operating.md).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import delete, exists, func, select

from contact_center.core.config import ConfigError
from contact_center.core.db.models import Attachment, Conversation, IdempotencyRecord, Message
from contact_center.core.uow import UnitOfWork


class RetentionSettings(BaseSettings):
    """RETENTION_* and RECORDINGS_DIR; 0 days keeps that kind of record forever."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    retention_chat_days: int = Field(default=0, ge=0)
    retention_recordings_days: int = Field(default=0, ge=0)
    recordings_dir: Path | None = None
    retention_idempotency_days: int = Field(default=30, ge=0)

    @field_validator("recordings_dir", mode="before")
    @classmethod
    def _recordings_dir(cls, value: Any) -> Any:
        # An empty RECORDINGS_DIR= (as in the example file) means none, never the current directory.
        if value is None or str(value).strip() == "":
            return None
        if not Path(str(value)).is_absolute():
            raise ValueError("debe ser una ruta absoluta (la carpeta de grabaciones de Asterisk)")
        return value


def load_retention(**overrides: Any) -> RetentionSettings:
    try:
        return RetentionSettings(**overrides)
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()]
        raise ConfigError("; ".join(problems)) from None


@dataclass(frozen=True)
class RetentionReport:
    chat_messages: int
    recordings: int
    idempotency_records: int

    def as_json(self) -> str:
        return json.dumps(asdict(self))


async def purge(uow: UnitOfWork, settings: RetentionSettings, *, dry_run: bool = False) -> RetentionReport:
    """Delete what the settings allow, in the caller's transaction (committed unless `dry_run`)."""
    now = uow.clock.now()
    messages = await _chat_messages(uow, _cutoff(now, settings.retention_chat_days), dry_run)
    records = await _idempotency(uow, _cutoff(now, settings.retention_idempotency_days), dry_run)
    files = await _recordings(uow, settings, _cutoff(now, settings.retention_recordings_days), dry_run)
    if not dry_run:
        await uow.commit()
    return RetentionReport(chat_messages=messages, recordings=files, idempotency_records=records)


def _cutoff(now: datetime, days: int) -> datetime | None:
    return now - timedelta(days=days) if days > 0 else None


async def _chat_messages(uow: UnitOfWork, cutoff: datetime | None, dry_run: bool) -> int:
    if cutoff is None:
        return 0
    expired = (
        select(Conversation.id)
        .where(Conversation.ended_at.is_not(None), Conversation.ended_at < cutoff)
        .where(Conversation.ticket_id.is_(None))
        .where(~exists().where(Attachment.conversation_id == Conversation.id))
    )
    doomed = Message.conversation_id.in_(expired)
    count = int(await uow.session.scalar(select(func.count()).select_from(Message).where(doomed)) or 0)
    if count and not dry_run:
        await uow.session.execute(delete(Message).where(doomed))
    return count


async def _idempotency(uow: UnitOfWork, cutoff: datetime | None, dry_run: bool) -> int:
    if cutoff is None:
        return 0
    old = IdempotencyRecord.created_at < cutoff
    count = int(await uow.session.scalar(select(func.count()).select_from(IdempotencyRecord).where(old)) or 0)
    if count and not dry_run:
        await uow.session.execute(delete(IdempotencyRecord).where(old))
    return count


async def _recordings(
    uow: UnitOfWork, settings: RetentionSettings, cutoff: datetime | None, dry_run: bool
) -> int:
    folder = settings.recordings_dir
    if cutoff is None or folder is None:
        return 0
    rows = await uow.session.scalars(select(Attachment.source_url).where(Attachment.source_url.is_not(None)))
    kept = {str(url).removeprefix("file://") for url in rows}
    return await asyncio.to_thread(_delete_files, folder, kept, cutoff.timestamp(), dry_run)


def _delete_files(folder: Path, kept: set[str], before: float, dry_run: bool) -> int:
    count = 0
    for path in folder.rglob("*"):
        if path.is_file() and str(path) not in kept and path.stat().st_mtime < before:
            count += 1
            if not dry_run:
                path.unlink(missing_ok=True)
    return count
