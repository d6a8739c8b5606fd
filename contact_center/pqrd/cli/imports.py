"""`contact-center tickets import FILE.csv [--dry-run]`: file the city's old PQRD records.

Prints one line per imported or skipped record and one per error (row, column, message); exits
with 1 when the file has errors (then nothing was imported) and 0 otherwise.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contact_center.core.config import Settings

if TYPE_CHECKING:
    from contact_center.pqrd.services.imports import ImportReport


def tickets_commands(sub: Any) -> Any:
    """The `tickets` command group's sub-commands, created by whichever feature registers first.

    argparse refuses a second `tickets` parser, so every feature adding a `tickets ...` command
    should get the group through this function.
    """
    group = sub.choices.get("tickets")
    if group is None:
        group = sub.add_parser("tickets", help="PQRD tickets")
    for action in group._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return group.add_subparsers(dest="tickets_command", required=True)


def register(sub: Any) -> None:
    """Add `tickets import` to the CLI (appended to `contact_center.cli.EXTRA_COMMANDS`)."""
    cmd = tickets_commands(sub).add_parser("import", help="import existing PQRDs from a CSV file")
    cmd.add_argument("file", type=Path, help="CSV file (columns in the README)")
    cmd.add_argument("--dry-run", action="store_true", help="validate and show due dates; import nothing")
    cmd.set_defaults(run=run_import)


def run_import(args: argparse.Namespace, settings: Settings) -> int:
    from contact_center.core.commands import run_in_uow
    from contact_center.pqrd.services.imports import import_tickets
    from contact_center.pqrd.services.tickets import Actor

    path: Path = args.file
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"contact-center tickets import: no se pudo leer {path}: {exc.strerror}", file=sys.stderr)
        return 2
    secret = settings.signing_key()

    async def action(uow: Any) -> ImportReport:
        return await import_tickets(
            uow, data, source=path.name, secret=secret, actor=Actor("system"), dry_run=args.dry_run
        )

    report: ImportReport = run_in_uow(settings, action)
    print_report(report)
    return 0 if report.ok else 1


def print_report(report: ImportReport) -> None:
    for e in report.errors:
        where = f"fila {e.row}" + (f", columna {e.column}" if e.column else "")
        print(f"ERROR {where}: {e.message}")
    for r in report.imported:
        number = r.radicado or "(simulación)"
        late = " VENCIDO" if r.overdue else ""
        print(f"fila {r.row}: {r.original_radicado} -> {number} vence {r.due_date.isoformat()}{late}")
    for s in report.skipped:
        print(f"fila {s.row}: {s.original_radicado} omitido: {s.reason}")
    if report.errors:
        print(f"{len(report.errors)} error(es) en {report.source}: no se importó ningún registro.")
        return
    verb = "se importarían" if report.dry_run else "importados"
    overdue = sum(r.overdue for r in report.imported)
    print(
        f"{report.source}: {report.rows} filas, {len(report.imported)} {verb} "
        f"({overdue} ya vencidos), {len(report.skipped)} omitidos."
    )
