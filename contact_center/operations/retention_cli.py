"""`contact-center retention show | run [--dry-run]` (pasto195-retention.timer runs it nightly)."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any

from contact_center.core.config import Settings


def register(sub: Any) -> None:
    """Add the `retention` group (appended to cli.EXTRA_COMMANDS)."""
    group = sub.add_parser("retention", help="purge chat transcripts, recordings, idempotency records")
    commands = group.add_subparsers(dest="retention_command", required=True)
    commands.add_parser("show", help="print the retention settings").set_defaults(run=_show)
    run = commands.add_parser("run", help="delete what the retention settings allow (never PQRD records)")
    run.add_argument("--dry-run", action="store_true", help="count only, delete nothing")
    run.set_defaults(run=_run)


def _show(args: argparse.Namespace, settings: Settings) -> int:
    from contact_center.operations.retention import load_retention

    print(load_retention().model_dump_json())
    return 0


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from contact_center.core.commands import run_in_uow
    from contact_center.operations.retention import RetentionReport, load_retention, purge

    retention = load_retention()

    async def action(uow: Any) -> RetentionReport:
        return await purge(uow, retention, dry_run=args.dry_run)

    report: RetentionReport = run_in_uow(settings, action)
    print(json.dumps({**asdict(report), "dry_run": args.dry_run}))
    return 0
