"""`contact-center tramites import FILE [--reason TEXT]` and `contact-center tramites export [--format csv]`.

Import reads JSON (a list of records, or `{"tramites": [...]}`) or CSV (by the file's extension or
`--format`), validates every row and applies all of them or none: with an error it prints each row
number and its errors on stderr and exits 1. Export prints every trámite's latest version.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from contact_center.core.config import Settings
from contact_center.core.errors import DomainError


def register(sub: Any) -> None:
    """Add the `tramites` group (appended to `contact_center.cli.EXTRA_COMMANDS`)."""
    group = sub.add_parser("tramites", help="the trámites catalogue").add_subparsers(
        dest="tramites_command", required=True
    )
    imp = group.add_parser("import", help="import trámites from JSON or CSV (all or nothing)")
    imp.add_argument("file", type=Path, metavar="FILE")
    imp.add_argument("--format", choices=("json", "csv"), help="default: from the file's extension")
    imp.add_argument("--reason", default="Importación del catálogo", help="recorded in the audit")
    imp.set_defaults(run=_import)
    exp = group.add_parser("export", help="print the catalogue as JSON or CSV")
    exp.add_argument("--format", choices=("json", "csv"), default="json")
    exp.set_defaults(run=_export)


def _import(args: argparse.Namespace, settings: Settings) -> int:
    from contact_center.core.commands import run_in_uow
    from contact_center.tramites import importer
    from contact_center.tramites.services import Actor

    fmt = args.format or ("csv" if args.file.suffix.lower() == ".csv" else "json")
    try:
        rows = importer.parse(args.file.read_bytes(), fmt)
    except OSError as exc:
        print(f"contact-center: no se pudo leer {args.file}: {exc.strerror}", file=sys.stderr)
        return 1
    except DomainError as exc:
        print(f"contact-center: {exc.message} ({exc.code})", file=sys.stderr)
        return 1

    async def action(uow: Any) -> dict[str, int]:
        done = await importer.import_rows(uow, rows, Actor(None, "import"), args.reason)
        await uow.commit()
        return done

    try:
        out = run_in_uow(settings, action)
    except importer.ImportRefused as exc:
        print(f"contact-center: {exc.message}", file=sys.stderr)
        for row in exc.details.get("rows", []):
            print(f"  fila {row['row']}: {'; '.join(row['errors'])}", file=sys.stderr)
        return 1
    except DomainError as exc:
        print(f"contact-center: {exc.message} ({exc.code})", file=sys.stderr)
        return 1
    print(json.dumps(out, ensure_ascii=False))
    return 0


def _export(args: argparse.Namespace, settings: Settings) -> int:
    from contact_center.core.commands import run_in_uow
    from contact_center.tramites import importer

    rows = run_in_uow(settings, importer.export_rows)
    if args.format == "csv":
        sys.stdout.write(importer.to_csv(rows))
    else:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
    return 0
