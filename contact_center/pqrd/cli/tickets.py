"""CLI of the legal clock and the audit trail.

    contact-center tickets verify-chain RADICADO | --all
    contact-center calendar closures list [--year YYYY] | add DAY REASON | remove DAY
    contact-center calendar terms list | set TYPE DAYS | reset TYPE
    contact-center calendar settings show | set KEY VALUE

Errors (an unknown radicado, a bad value) print the Spanish message and its code on stderr and
exit with 1; `verify-chain` also exits with 1 when a chain is broken, saying which event on stdout.
Usage errors (a missing or unknown argument) are argparse's: exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from contact_center.core.config import Settings
from contact_center.core.errors import DomainError

Action = Callable[[Any], Awaitable[Any]]


def _subcommands(sub: Any, name: str, help_text: str, dest: str) -> Any:
    # Another feature may have created the group already; argparse refuses a second parser.
    group = sub.choices.get(name) or sub.add_parser(name, help=help_text)
    for action in group._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return group.add_subparsers(dest=dest, required=True)


def register(sub: Any) -> None:
    """Add `tickets verify-chain` and the `calendar` group (appended to cli.EXTRA_COMMANDS)."""
    verify = _subcommands(sub, "tickets", "PQRD tickets", "tickets_command").add_parser(
        "verify-chain", help="recompute the hash chain of a ticket's events (or of all tickets)"
    )
    which = verify.add_mutually_exclusive_group(required=True)
    which.add_argument("radicado", nargs="?")
    which.add_argument("--all", action="store_true")
    verify.set_defaults(run=_verify_chain)
    calendar = _subcommands(sub, "calendar", "business calendar and legal clock", "calendar_command")
    _closures(calendar.add_parser("closures", help="local closure days").add_subparsers(required=True))
    _terms(calendar.add_parser("terms", help="legal terms by PQRD type").add_subparsers(required=True))
    _settings(calendar.add_parser("settings", help="legal clock settings").add_subparsers(required=True))


def _closures(sub: Any) -> None:
    listing = sub.add_parser("list")
    listing.add_argument("--year", type=int)
    listing.set_defaults(run=_run(lambda a: _closure_list(a.year)))
    add = sub.add_parser("add")
    add.add_argument("day", type=date.fromisoformat, help="YYYY-MM-DD")
    add.add_argument("reason", nargs="+", help="e.g. the municipal decree")
    add.set_defaults(run=_run(lambda a: _closure_add(a.day, " ".join(a.reason))))
    remove = sub.add_parser("remove")
    remove.add_argument("day", type=date.fromisoformat)
    remove.set_defaults(run=_run(lambda a: _closure_remove(a.day)))


def _terms(sub: Any) -> None:
    sub.add_parser("list").set_defaults(run=_run(lambda a: _term_list()))
    put = sub.add_parser("set")
    put.add_argument("type")
    put.add_argument("days", type=int)
    put.set_defaults(run=_run(lambda a: _term_set(a.type, a.days)))
    reset = sub.add_parser("reset")
    reset.add_argument("type")
    reset.set_defaults(run=_run(lambda a: _term_reset(a.type)))


def _settings(sub: Any) -> None:
    sub.add_parser("show").set_defaults(run=_run(lambda a: _settings_show()))
    put = sub.add_parser("set")
    put.add_argument("key")
    put.add_argument("value", help='JSON value: 14, true, null, "remaining" (bare words are strings)')
    put.set_defaults(run=_run(lambda a: _settings_set(a.key, a.value)))


def _run(make: Callable[[argparse.Namespace], Action]) -> Callable[[argparse.Namespace, Settings], int]:
    def command(args: argparse.Namespace, settings: Settings) -> int:
        from contact_center.core.commands import run_in_uow

        try:
            lines: list[str] = run_in_uow(settings, make(args))
        except DomainError as exc:
            print(f"contact-center: {exc.message} ({exc.code})", file=sys.stderr)
            return 1
        print("\n".join(lines))
        return 0

    return command


# -- actions (each returns the lines to print) ------------------------------------------------------


def _closure_list(year: int | None) -> Action:
    from contact_center.pqrd.services import calendar_admin

    async def action(uow: Any) -> list[str]:
        closures = await calendar_admin.list_closures(uow, year)
        return [f"{c.day.isoformat()}  {c.reason}" for c in closures] or ["(sin días no hábiles locales)"]

    return action


def _closure_add(day: date, reason: str) -> Action:
    from contact_center.pqrd.services import calendar_admin

    async def action(uow: Any) -> list[str]:
        closure = await calendar_admin.add_closure(uow, day, reason, None)
        return [f"día no hábil registrado: {closure.day.isoformat()}  {closure.reason}"]

    return action


def _closure_remove(day: date) -> Action:
    from contact_center.pqrd.services import calendar_admin

    async def action(uow: Any) -> list[str]:
        await calendar_admin.remove_closure(uow, day)
        return [f"día no hábil eliminado: {day.isoformat()}"]

    return action


def _term_lines(terms: list[Any]) -> list[str]:
    return [
        f"{t.pqrd_type.value:<22}{t.term_days:>4} días hábiles"
        + (f"  (por defecto {t.default_days})" if t.overridden else "")
        + f"  [{t.source}]"
        for t in terms
    ]


def _term_list() -> Action:
    from contact_center.pqrd.services import calendar_admin

    async def action(uow: Any) -> list[str]:
        return _term_lines(await calendar_admin.list_terms(uow))

    return action


def _term_set(type_code: str, days: int) -> Action:
    from contact_center.pqrd.services import calendar_admin

    async def action(uow: Any) -> list[str]:
        return _term_lines([await calendar_admin.set_term(uow, type_code, days, None)])

    return action


def _term_reset(type_code: str) -> Action:
    from contact_center.pqrd.services import calendar_admin

    async def action(uow: Any) -> list[str]:
        return _term_lines([await calendar_admin.reset_term(uow, type_code)])

    return action


def _settings_show() -> Action:
    from contact_center.pqrd.services import calendar_admin

    async def action(uow: Any) -> list[str]:
        values = calendar_admin.settings_dict(await calendar_admin.load_clock_settings(uow))
        return [f"{key} = {json.dumps(value)}" for key, value in values.items()]

    return action


def _settings_set(key: str, raw: str) -> Action:
    from contact_center.pqrd.services import calendar_admin

    try:
        value: Any = json.loads(raw)
    except json.JSONDecodeError:
        value = raw  # `remaining` reads as the string "remaining"

    async def action(uow: Any) -> list[str]:
        updated = await calendar_admin.update_settings(uow, {key: value}, None)
        return [f"{key} = {json.dumps(calendar_admin.settings_dict(updated)[key])}"]

    return action


# -- verify-chain -----------------------------------------------------------------------------------


def _verify_chain(args: argparse.Namespace, settings: Settings) -> int:
    from contact_center.core.commands import run_in_uow
    from contact_center.pqrd.services.audit import ChainReport, verify_chains

    async def action(uow: Any) -> ChainReport:
        return await verify_chains(uow, None if args.all else args.radicado)

    try:
        report: ChainReport = run_in_uow(settings, action)
    except DomainError as exc:  # unknown or malformed radicado: an error like the other subcommands'
        print(f"contact-center: {exc.message} ({exc.code})", file=sys.stderr)
        return 1
    for broken in report.broken:
        print(
            f"CADENA ROTA radicado {broken.radicado}: el evento {broken.seq} (id {broken.event_id}) "
            "no coincide con su hash; fue alterado, insertado o falta uno anterior."
        )
    state = "alterada" if report.broken else "íntegra"
    print(f"{report.tickets} radicado(s), {report.events} evento(s) verificados: cadena {state}.")
    return 1 if report.broken else 0
