"""Administration of routing: queues (skills, priority, service level, time steps, business hours),
officials' skills and capacities, and the router's settings. Shared by the admin API and the CLI.

Everything is validated before anything is written (the core's own `QueueConfig` checks the time
steps), and every change wakes every engine to reload (`announce(full=True)`). The caller commits.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import delete, select

from contact_center.core.db.models import (
    Dependencia,
    Official,
    OfficialCapacity,
    OfficialSkill,
    Queue,
    QueueSkill,
    Skill,
)
from contact_center.core.db.routing_models import RoutingSettings
from contact_center.core.errors import InvalidInput, NotFound
from contact_center.core.uow import UnitOfWork
from routing import bus
from routing.core import Channel, QueueConfig
from routing.core.config import TimeStep
from routing.hours import DAYS

MAX_STEP_SECONDS = 86_400
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_END_OF_DAY = "24:00"  # a slot may run to midnight; a night shift is two slots (see routing.hours)
_STRICT = ConfigDict(extra="forbid")


class ServiceLevelIn(BaseModel):
    model_config = _STRICT
    threshold_seconds: int = Field(ge=1, le=3600)
    percent: int = Field(ge=1, le=100)


class QueueIn(BaseModel):
    """A queue as administrators set it; skills by code, overflow targets by queue code."""

    model_config = _STRICT
    name: str = Field(min_length=1, max_length=200)
    priority: int = Field(default=0, ge=-100, le=100)
    dependencia: str | None = None
    required_skills: dict[str, int] = Field(default_factory=dict)
    service_level: ServiceLevelIn = ServiceLevelIn(threshold_seconds=20, percent=80)
    steps: list[TimeStep] = Field(default_factory=list)
    business_hours: dict[str, list[tuple[str, str]]] = Field(default_factory=dict)
    open_on_holidays: bool = False  # by default holidays and closure days close the queue


class QueueOut(QueueIn):
    id: int
    code: str


class OfficialRoutingIn(BaseModel):
    model_config = _STRICT
    skills: dict[str, int] = Field(default_factory=dict)
    capacity: dict[Channel, int] = Field(default_factory=dict)


class RoutingSettingsIn(BaseModel):
    model_config = _STRICT
    offer_timeout_seconds: float = Field(ge=5, le=600)
    missed_offers_before_away: int = Field(ge=1, le=20)
    wrap_up_seconds: float = Field(ge=0, le=3600)


def _invalid(message: str, code: str = "invalid_routing_config") -> InvalidInput:
    return InvalidInput(message, code=code)


def check_business_hours(hours: dict[str, list[tuple[str, str]]]) -> None:
    for day, slots in hours.items():
        if day not in DAYS:
            raise _invalid(f"Día desconocido «{day}» en el horario (use {', '.join(DAYS)}).")
        previous_end = ""
        for start, end in slots:
            valid_end = _HHMM.match(end) or end == _END_OF_DAY
            if not (_HHMM.match(start) and valid_end) or start >= end or start < previous_end:
                raise _invalid(
                    f"Horario no válido el {day}: {start}-{end} (HH:MM, en orden, sin solaparse; "
                    "una franja que pasa la medianoche se parte en dos: 22:00-24:00 y 00:00-06:00)."
                )
            previous_end = end


async def _skill_ids(uow: UnitOfWork, levels: dict[str, int]) -> dict[str, int]:
    rows = await uow.session.execute(select(Skill.code, Skill.id).where(Skill.code.in_(list(levels))))
    found = {code: skill_id for code, skill_id in rows}
    missing = sorted(set(levels) - set(found))
    if missing:
        raise _invalid(f"Habilidades desconocidas: {', '.join(missing)}.", code="unknown_skill")
    bad = sorted(code for code, level in levels.items() if not 1 <= level <= 10)
    if bad:
        raise _invalid(f"Los niveles van de 1 a 10: {', '.join(bad)}.", code="invalid_skill_level")
    return found


async def list_queues(uow: UnitOfWork) -> list[QueueOut]:
    queues = (await uow.session.scalars(select(Queue).order_by(Queue.code))).all()
    skills = await uow.session.execute(
        select(QueueSkill.queue_id, Skill.code, QueueSkill.min_level).join(
            Skill, Skill.id == QueueSkill.skill_id
        )
    )
    required: dict[int, dict[str, int]] = {}
    for queue_id, code, level in skills:
        required.setdefault(queue_id, {})[code] = level
    deps = {
        dep_id: code for dep_id, code in await uow.session.execute(select(Dependencia.id, Dependencia.code))
    }
    return [
        QueueOut.model_validate(
            {
                "id": q.id,
                "code": q.code,
                "name": q.name,
                "priority": q.priority,
                "dependencia": deps.get(q.dependencia_id) if q.dependencia_id else None,
                "required_skills": required.get(q.id, {}),
                "service_level": {
                    "threshold_seconds": q.sl_threshold_seconds,
                    "percent": q.sl_target_percent,
                },
                "steps": q.steps or [],
                "business_hours": q.business_hours or {},
                "open_on_holidays": q.open_on_holidays,
            }
        )
        for q in queues
    ]


async def set_queue(uow: UnitOfWork, code: str, body: QueueIn) -> QueueOut:
    """Create or replace queue `code`."""
    if not re.fullmatch(r"[a-z0-9_]{2,60}", code):
        raise _invalid("El código de cola usa minúsculas, dígitos y _ (2 a 60).", code="invalid_queue_code")
    skill_ids = await _skill_ids(uow, body.required_skills)
    check_business_hours(body.business_hours)
    known = set((await uow.session.scalars(select(Queue.code))).all()) | {code}
    _check_steps(code, body, known)
    dependencia_id = await _dependencia_id(uow, body.dependencia)
    queue = await uow.session.scalar(select(Queue).where(Queue.code == code))
    if queue is None:
        queue = Queue(code=code)
        uow.session.add(queue)
    queue.name, queue.priority, queue.dependencia_id = body.name, body.priority, dependencia_id
    queue.sl_threshold_seconds = body.service_level.threshold_seconds
    queue.sl_target_percent = body.service_level.percent
    queue.steps = [step.model_dump(mode="json") for step in body.steps]
    queue.business_hours = {day: [list(s) for s in slots] for day, slots in body.business_hours.items()}
    queue.open_on_holidays = body.open_on_holidays
    await uow.session.flush()
    await uow.session.execute(delete(QueueSkill).where(QueueSkill.queue_id == queue.id))
    for skill, level in body.required_skills.items():
        uow.session.add(QueueSkill(queue_id=queue.id, skill_id=skill_ids[skill], min_level=level))
    await uow.session.flush()
    await bus.announce(uow, full=True)
    return next(q for q in await list_queues(uow) if q.code == code)


def _check_steps(code: str, body: QueueIn, known: set[str]) -> None:
    try:
        QueueConfig(queue_id=code, required_skills=body.required_skills, steps=tuple(body.steps))
    except ValidationError as exc:
        raise _invalid(f"Pasos de tiempo no válidos: {exc.errors()[0]['msg']}") from None
    top = max(body.required_skills.values(), default=0)
    for step in body.steps:
        if step.after_seconds > MAX_STEP_SECONDS:
            raise _invalid(f"Un paso de tiempo no puede pasar de {MAX_STEP_SECONDS} s.")
        level = getattr(step, "to_level", None)
        if level is not None and level >= top:
            raise _invalid(f"Relajar a nivel {level} no baja ningún requisito (máximo actual {top}).")
        target = getattr(step, "target_queue_id", None)
        if target is not None and target not in known:
            raise _invalid(f"La cola de desborde «{target}» no existe.", code="unknown_queue")


async def _dependencia_id(uow: UnitOfWork, code: str | None) -> int | None:
    if code is None:
        return None
    found = await uow.session.scalar(select(Dependencia.id).where(Dependencia.code == code))
    if found is None:
        raise _invalid(f"La dependencia «{code}» no existe.", code="unknown_dependencia")
    return int(found)


async def set_official_routing(uow: UnitOfWork, official_id: int, body: OfficialRoutingIn) -> dict[str, Any]:
    """Replace an official's skills and per-channel capacities."""
    official = await uow.session.get(Official, official_id)
    if official is None:
        raise NotFound("El funcionario no existe.", code="unknown_official")
    skill_ids = await _skill_ids(uow, body.skills)
    bad = sorted(c.value for c, n in body.capacity.items() if not 0 <= n <= 100)
    if bad:
        raise _invalid(f"Capacidad fuera de rango (0 a 100): {', '.join(bad)}.", code="invalid_capacity")
    await uow.session.execute(delete(OfficialSkill).where(OfficialSkill.official_id == official_id))
    await uow.session.execute(delete(OfficialCapacity).where(OfficialCapacity.official_id == official_id))
    for skill, level in body.skills.items():
        uow.session.add(OfficialSkill(official_id=official_id, skill_id=skill_ids[skill], level=level))
    for channel, capacity in body.capacity.items():
        uow.session.add(OfficialCapacity(official_id=official_id, channel=channel.value, capacity=capacity))
    await uow.session.flush()
    await bus.announce(uow, officials=[official_id])
    return {
        "official_id": official_id,
        "skills": body.skills,
        "capacity": {c.value: n for c, n in body.capacity.items()},
    }


async def get_settings(uow: UnitOfWork) -> RoutingSettingsIn:
    row = await uow.session.get(RoutingSettings, 1)
    if row is None:
        return RoutingSettingsIn(offer_timeout_seconds=20, missed_offers_before_away=1, wrap_up_seconds=30)
    return RoutingSettingsIn(
        offer_timeout_seconds=row.offer_timeout_seconds,
        missed_offers_before_away=row.missed_offers_before_away,
        wrap_up_seconds=row.wrap_up_seconds,
    )


async def set_settings(uow: UnitOfWork, body: RoutingSettingsIn) -> RoutingSettingsIn:
    row = await uow.session.get(RoutingSettings, 1)
    if row is None:
        row = RoutingSettings(id=1)
        uow.session.add(row)
    row.offer_timeout_seconds = body.offer_timeout_seconds
    row.missed_offers_before_away = body.missed_offers_before_away
    row.wrap_up_seconds = body.wrap_up_seconds
    row.updated_at = uow.clock.now()
    await uow.session.flush()
    await bus.announce(uow, full=True)
    return body
