"""`contact-center queues list|set` and `contact-center officials skills`: routing from the shell.

    contact-center queues list
    contact-center queues set vias --name "Vías" --priority 5 --skill transito=6 --sl 15:90 \\
        --step relax:30:2 --step overflow:60:atencion_general --step callback:120 \\
        --hours mon=07:00-12:00,14:00-18:00 [--open-on-holidays]
    contact-center officials skills agente1@demo.pasto.gov.co --skill tramites=7 --capacity chat=3

The same validation as the admin API (`routing.admin`); a bad value exits 2 with the reason.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from sqlalchemy import select

from contact_center.core.config import Settings
from contact_center.core.db.models import Official
from contact_center.core.errors import DomainError
from contact_center.core.uow import UnitOfWork
from routing import admin


def register(sub: Any) -> None:
    queues = sub.add_parser("queues", help="routing queues").add_subparsers(
        dest="queues_command", required=True
    )
    queues.add_parser("list", help="list queues as JSON").set_defaults(run=_list)
    put = queues.add_parser("set", help="create or replace a queue")
    put.add_argument("code")
    put.add_argument("--name", required=True)
    put.add_argument("--priority", type=int, default=0)
    put.add_argument("--dependencia")
    put.add_argument("--skill", action="append", default=[], help="SKILL=MIN_LEVEL (repeatable)")
    put.add_argument("--sl", default="20:80", help="THRESHOLD_SECONDS:PERCENT")
    put.add_argument(
        "--step", action="append", default=[], help="relax:S:LEVEL | overflow:S:QUEUE | callback:S"
    )
    put.add_argument("--hours", action="append", default=[], help="DAY=HH:MM-HH:MM[,HH:MM-HH:MM]")
    put.add_argument("--open-on-holidays", action="store_true", help="stay open on holidays and closure days")
    put.set_defaults(run=_set)
    officials = sub.add_parser("officials", help="officials' routing").add_subparsers(
        dest="officials_command", required=True
    )
    skills = officials.add_parser("skills", help="replace an official's skills and capacities")
    skills.add_argument("email")
    skills.add_argument("--skill", action="append", default=[], help="SKILL=LEVEL (repeatable)")
    skills.add_argument("--capacity", action="append", default=[], help="CHANNEL=N (repeatable)")
    skills.set_defaults(run=_skills)


def _pairs(values: list[str], what: str) -> dict[str, int]:
    out = {}
    for value in values:
        name, sep, number = value.partition("=")
        if not sep or not number.strip().lstrip("-").isdigit():
            raise ValueError(f"{what}: use NOMBRE=NÚMERO, no «{value}»")
        out[name.strip()] = int(number)
    return out


def _step(value: str) -> dict[str, Any]:
    kind, _, rest = value.partition(":")
    parts = rest.split(":")
    if kind == "relax" and len(parts) == 2:
        return {"kind": kind, "after_seconds": float(parts[0]), "to_level": int(parts[1])}
    if kind == "overflow" and len(parts) == 2:
        return {"kind": kind, "after_seconds": float(parts[0]), "target_queue_id": parts[1]}
    if kind == "callback" and len(parts) == 1:
        return {"kind": kind, "after_seconds": float(parts[0])}
    raise ValueError(f"paso no válido «{value}» (relax:S:NIVEL, overflow:S:COLA o callback:S)")


def _hours(values: list[str]) -> dict[str, list[list[str]]]:
    out: dict[str, list[list[str]]] = {}
    for value in values:
        day, _, slots = value.partition("=")
        out[day] = [slot.split("-", 1) for slot in slots.split(",") if slot]
    return out


def _queue_body(args: argparse.Namespace) -> admin.QueueIn:
    threshold, _, percent = args.sl.partition(":")
    return admin.QueueIn.model_validate(
        {
            "name": args.name,
            "priority": args.priority,
            "dependencia": args.dependencia,
            "required_skills": _pairs(args.skill, "--skill"),
            "service_level": {"threshold_seconds": int(threshold), "percent": int(percent)},
            "steps": [_step(s) for s in args.step],
            "business_hours": _hours(args.hours),
            "open_on_holidays": args.open_on_holidays,
        }
    )


def _run(settings: Settings, action: Any) -> int:
    from contact_center.core.commands import run_in_uow

    try:
        result = run_in_uow(settings, action)
    except (DomainError, ValueError) as exc:
        print(f"contact-center: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


def _list(args: argparse.Namespace, settings: Settings) -> int:
    async def action(uow: UnitOfWork) -> Any:
        return [q.model_dump(mode="json") for q in await admin.list_queues(uow)]

    return _run(settings, action)


def _set(args: argparse.Namespace, settings: Settings) -> int:
    async def action(uow: UnitOfWork) -> Any:
        out = await admin.set_queue(uow, args.code, _queue_body(args))
        await uow.commit()
        return out.model_dump(mode="json")

    return _run(settings, action)


def _skills(args: argparse.Namespace, settings: Settings) -> int:
    async def action(uow: UnitOfWork) -> Any:
        official_id = await uow.session.scalar(select(Official.id).where(Official.email == args.email))
        if official_id is None:
            raise ValueError(f"no hay un funcionario con el correo {args.email}")
        body = admin.OfficialRoutingIn.model_validate(
            {"skills": _pairs(args.skill, "--skill"), "capacity": _pairs(args.capacity, "--capacity")}
        )
        out = await admin.set_official_routing(uow, official_id, body)
        await uow.commit()
        return out

    return _run(settings, action)
