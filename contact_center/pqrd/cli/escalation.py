"""CLI of the escalation policy and of the status changes that notify citizens.

    contact-center escalation show
    contact-center escalation set [--term-used 0.5=assignee,0.8=assignee]
        [--days-left 2=supervisor,0=supervisor] [--overdue TIER] [--completion-request TIER|off]
        [--forwarding TIER|off] [--extension-notice TIER|off] [--notify-hour H]
    contact-center escalation reset
    contact-center escalation notices show | set STATUS...

TIER is assignee, supervisor or atencion_ciudadano. After `set` or `reset` the open tickets are
rescheduled: by an RQ worker when REDIS_URL is set, else right here, batch by batch. Errors print
the Spanish message and its code on stderr and exit with 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from contact_center.core.config import Settings
from contact_center.core.errors import DomainError, InvalidInput

Action = Callable[[Any], Awaitable[list[str]]]


def register(sub: Any) -> None:
    """Add the `escalation` group (appended to cli.EXTRA_COMMANDS)."""
    group = sub.add_parser("escalation", help="escalation policy and citizen notices")
    commands = group.add_subparsers(dest="escalation_command", required=True)
    commands.add_parser("show", help="the policy in force").set_defaults(run=_command(_show))
    put = commands.add_parser("set", help="change some thresholds (the others keep their value)")
    put.add_argument("--term-used", help="SHARE=TIER,... e.g. 0.5=assignee,0.8=assignee ('' for none)")
    put.add_argument("--days-left", help="DAYS=TIER,... e.g. 2=supervisor,0=supervisor ('' for none)")
    put.add_argument("--overdue", metavar="TIER")
    for flag in ("--completion-request", "--forwarding", "--extension-notice"):
        put.add_argument(flag, metavar="TIER|off")
    put.add_argument("--notify-hour", type=int, help="Bogotá hour at which a point's day starts")
    put.set_defaults(run=_command(_set))
    commands.add_parser("reset", help="back to the defaults").set_defaults(run=_command(_reset))
    notices = commands.add_parser("notices", help="status changes notified to citizens")
    which = notices.add_subparsers(dest="notices_command", required=True)
    which.add_parser("show").set_defaults(run=_command(_notices_show))
    chosen = which.add_parser("set")
    chosen.add_argument("statuses", nargs="*", help="e.g. radicado suspendido prorrogado respondido")
    chosen.set_defaults(run=_command(_notices_set))


def _command(
    make: Callable[[argparse.Namespace, Settings], Action],
) -> Callable[[argparse.Namespace, Settings], int]:
    def command(args: argparse.Namespace, settings: Settings) -> int:
        from contact_center.core.commands import run_in_uow

        try:
            lines: list[str] = run_in_uow(settings, make(args, settings))
        except DomainError as exc:
            print(f"contact-center: {exc.message} ({exc.code})", file=sys.stderr)
            return 1
        print("\n".join(lines))
        return 0

    return command


def _policy_lines(stored: Any) -> list[str]:
    from contact_center.pqrd.domain.escalation import policy_to_dict

    return [json.dumps({"revision": stored.revision, **policy_to_dict(stored.policy)}, ensure_ascii=False)]


def _show(args: argparse.Namespace, settings: Settings) -> Action:
    from contact_center.pqrd.services.escalation_policy import stored_policy

    async def action(uow: Any) -> list[str]:
        return _policy_lines(await stored_policy(uow))

    return action


def _pairs(text: str, number: Callable[[str], float | int], key: str) -> list[dict[str, Any]]:
    rows = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        value, sep, tier = item.partition("=")
        try:
            rows.append({key: number(value), "tier": tier.strip()})
        except ValueError:
            raise InvalidInput(f"«{item}» no tiene la forma VALOR=NIVEL.", code="invalid_policy") from None
        if not sep:
            raise InvalidInput(f"«{item}» no tiene la forma VALOR=NIVEL.", code="invalid_policy")
    return rows


def _changes(args: argparse.Namespace, current: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if args.term_used is not None:
        changes["term_used"] = _pairs(args.term_used, float, "share")
    if args.days_left is not None:
        changes["days_left"] = _pairs(args.days_left, int, "days")
    if args.overdue is not None:
        changes["overdue"] = args.overdue
    if args.notify_hour is not None:
        changes["notify_hour"] = args.notify_hour
    statutory = dict(current["statutory"])
    for key in ("completion_request", "forwarding", "extension_notice"):
        given = getattr(args, key)
        if given is not None:
            statutory[key] = None if given == "off" else given
    if statutory != current["statutory"]:
        changes["statutory"] = statutory
    return changes


def _set(args: argparse.Namespace, settings: Settings) -> Action:
    from contact_center.pqrd.domain.escalation import policy_to_dict
    from contact_center.pqrd.services import escalation_policy as service

    async def action(uow: Any) -> list[str]:
        current = policy_to_dict((await service.stored_policy(uow)).policy)
        stored = await service.set_policy(uow, _changes(args, current), None)
        return _policy_lines(stored) + await _reschedule(uow, settings, stored.revision)

    return action


def _reset(args: argparse.Namespace, settings: Settings) -> Action:
    from contact_center.pqrd.services import escalation_policy as service

    async def action(uow: Any) -> list[str]:
        stored = await service.reset_policy(uow, None)
        return _policy_lines(stored) + await _reschedule(uow, settings, stored.revision)

    return action


async def _reschedule(uow: Any, settings: Settings, revision: int) -> list[str]:
    """With RQ a worker reschedules the open tickets; on the embedded default this process does."""
    from contact_center.pqrd.services import escalation_policy as service
    from contact_center.pqrd.services import rescheduling

    if settings.uses_rq:
        from contact_center.core.jobs.rq_jobs import RqJobs

        await service.start_reschedule(RqJobs(settings), revision)
        return [f"reprogramación de los radicados abiertos encolada (revisión {revision})"]
    while await rescheduling.reschedule_batch(uow, revision):
        pass
    progress = (await service.stored_policy(uow)).reschedule
    done = progress.tickets if progress is not None else 0
    return [f"radicados abiertos reprogramados: {done}"]


def _notices_show(args: argparse.Namespace, settings: Settings) -> Action:
    from contact_center.pqrd.services.notifications import notice_statuses

    async def action(uow: Any) -> list[str]:
        return [" ".join(sorted(s.value for s in await notice_statuses(uow)))]

    return action


def _notices_set(args: argparse.Namespace, settings: Settings) -> Action:
    from contact_center.pqrd.services.notifications import set_notice_statuses

    async def action(uow: Any) -> list[str]:
        chosen = await set_notice_statuses(uow, args.statuses, None)
        return [" ".join(sorted(s.value for s in chosen)) or "(ningún cambio de estado se notifica)"]

    return action
