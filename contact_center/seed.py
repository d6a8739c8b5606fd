"""`contact-center seed-demo`: a city to try the product with; running it twice changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from contact_center.core.auth import hash_password
from contact_center.core.db.models import (
    Dependencia,
    Official,
    OfficialCapacity,
    OfficialSkill,
    Queue,
    QueueSkill,
    Skill,
)
from contact_center.core.officials import Role
from contact_center.core.uow import UnitOfWork

DEMO_PASSWORD = "demo-195"  # noqa: S105  (public demo credential, documented in the README)

DEPENDENCIAS = [
    ("despacho", "Despacho del Alcalde", False),
    ("atencion_ciudadano", "Oficina de Atención al Ciudadano", True),
    ("transito", "Secretaría de Tránsito y Transporte", False),
    ("hacienda", "Secretaría de Hacienda", False),
    ("salud", "Secretaría de Salud", False),
    ("educacion", "Secretaría de Educación", False),
    ("gobierno", "Secretaría de Gobierno", False),
]

SKILLS = [
    ("tramites", "Información de trámites"),
    ("pqrd", "Gestión de PQRD"),
    ("transito", "Tránsito y comparendos"),
    ("hacienda", "Impuestos y predial"),
    ("salud", "Salud y SISBEN"),
    ("educacion", "Educación y matrículas"),
    ("gobierno", "Gobierno y convivencia"),
    ("despacho", "Despacho del Alcalde"),
]

# (code, name, dependencia, priority, [(skill, min level)])
QUEUES = [
    ("atencion_general", "Atención general", "atencion_ciudadano", 1, [("tramites", 1)]),
    ("pqrd_triage", "Clasificación de PQRD", "atencion_ciudadano", 1, [("pqrd", 1)]),
    ("transito", "Tránsito", "transito", 2, [("transito", 3)]),
    ("hacienda", "Hacienda", "hacienda", 2, [("hacienda", 3)]),
    ("salud", "Salud", "salud", 3, [("salud", 3)]),
    ("educacion", "Educación", "educacion", 2, [("educacion", 3)]),
    ("gobierno", "Gobierno", "gobierno", 2, [("gobierno", 3)]),
    ("despacho", "Despacho del Alcalde", "despacho", 3, [("despacho", 5)]),
]


@dataclass(frozen=True)
class DemoOfficial:
    email: str
    name: str
    role: Role
    dependencia: str
    skills: dict[str, int]


OFFICIALS = [
    DemoOfficial("admin@demo.pasto.gov.co", "Administración 195", Role.ADMIN, "atencion_ciudadano", {}),
    DemoOfficial(
        "supervisor@demo.pasto.gov.co",
        "Carolina Benavides",
        Role.SUPERVISOR,
        "atencion_ciudadano",
        {"tramites": 8, "pqrd": 8},
    ),
    DemoOfficial(
        "agente1@demo.pasto.gov.co",
        "Andrés Rosero",
        Role.AGENT,
        "atencion_ciudadano",
        {"tramites": 7, "pqrd": 6, "transito": 5, "hacienda": 4},
    ),
    DemoOfficial(
        "agente2@demo.pasto.gov.co",
        "María Fernanda Burbano",
        Role.AGENT,
        "salud",
        {"tramites": 5, "pqrd": 7, "salud": 8},
    ),
    DemoOfficial(
        "agente3@demo.pasto.gov.co",
        "Jorge Eraso",
        Role.AGENT,
        "transito",
        {"tramites": 4, "transito": 9, "gobierno": 5},
    ),
    DemoOfficial(
        "despacho@demo.pasto.gov.co",
        "Luisa Ortega",
        Role.AGENT,
        "despacho",
        {"despacho": 9, "pqrd": 8, "tramites": 6},
    ),
]
DEFAULT_CAPACITY = {"voice": 1, "chat": 3, "app": 3, "pqrd": 20}


async def seed_demo(uow: UnitOfWork) -> dict[str, int]:
    deps = await _dependencias(uow)
    skills = await _skills(uow)
    await _queues(uow, deps, skills)
    created = await _officials(uow, deps, skills)
    await uow.commit()
    from contact_center.tramites.seed import seed_tramites  # the trámites catalogue (its own package)

    tramites = await seed_tramites(uow)
    return {
        "dependencias": len(deps),
        "skills": len(skills),
        "officials_created": created,
        "tramites_created": tramites,
    }


async def _dependencias(uow: UnitOfWork) -> dict[str, int]:
    out = {}
    for code, name, triage in DEPENDENCIAS:
        dep = await uow.session.scalar(select(Dependencia).where(Dependencia.code == code))
        if dep is None:
            dep = Dependencia(code=code, name=name, is_triage=triage)
            uow.session.add(dep)
            await uow.session.flush()
        out[code] = dep.id
    return out


async def _skills(uow: UnitOfWork) -> dict[str, int]:
    out = {}
    for code, name in SKILLS:
        skill = await uow.session.scalar(select(Skill).where(Skill.code == code))
        if skill is None:
            skill = Skill(code=code, name=name)
            uow.session.add(skill)
            await uow.session.flush()
        out[code] = skill.id
    return out


async def _queues(uow: UnitOfWork, deps: dict[str, int], skills: dict[str, int]) -> None:
    for code, name, dep, priority, required in QUEUES:
        if await uow.session.scalar(select(Queue.id).where(Queue.code == code)) is not None:
            continue
        queue = Queue(
            code=code,
            name=name,
            dependencia_id=deps[dep],
            priority=priority,
            sl_threshold_seconds=20,
            sl_target_percent=80,
            steps=[],
            business_hours={},
        )
        queue.skills = [QueueSkill(skill_id=skills[s], min_level=lvl) for s, lvl in required]
        uow.session.add(queue)


async def _officials(uow: UnitOfWork, deps: dict[str, int], skills: dict[str, int]) -> int:
    created = 0
    password_hash = hash_password(DEMO_PASSWORD)
    for demo in OFFICIALS:
        if await uow.session.scalar(select(Official.id).where(Official.email == demo.email)):
            continue
        official = Official(
            email=demo.email,
            name=demo.name,
            role=demo.role.value,
            password_hash=password_hash,
            dependencia_id=deps[demo.dependencia],
            presence="offline",
            created_at=uow.clock.now(),
        )
        official.skills = [OfficialSkill(skill_id=skills[s], level=lvl) for s, lvl in demo.skills.items()]
        official.capacities = [OfficialCapacity(channel=c, capacity=n) for c, n in DEFAULT_CAPACITY.items()]
        uow.session.add(official)
        created += 1
    return created
