"""`contact-center backup DIR` and `contact-center restore DIR [--force]` (operations/backup.py).

Both print one JSON line (engine, row counts of the main tables, attachments) and exit with 0; a
refusal or failure prints one Spanish line on stderr and exits with 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from contact_center.core.config import Settings

SUMMARY_TABLES = ("tickets", "ticket_events", "attachments", "conversations", "messages", "citizens")


def register(sub: Any) -> None:
    """Add `backup` and `restore` (appended to cli.EXTRA_COMMANDS)."""
    backup = sub.add_parser("backup", help="copy the database and the attachments into a new folder")
    backup.add_argument("folder", type=Path)
    backup.set_defaults(run=_backup)
    restore = sub.add_parser("restore", help="restore a backup folder into an empty database")
    restore.add_argument("folder", type=Path)
    restore.add_argument("--force", action="store_true", help="replace a database that is not empty")
    restore.set_defaults(run=_restore)


def _backup(args: argparse.Namespace, settings: Settings) -> int:
    from contact_center.operations.backup import backup

    return _report("backup", lambda: backup(settings, args.folder))


def _restore(args: argparse.Namespace, settings: Settings) -> int:
    from contact_center.operations.backup import restore

    return _report("restore", lambda: restore(settings, args.folder, force=args.force))


def _report(command: str, run: Any) -> int:
    from contact_center.operations.backup_store import BackupError

    try:
        manifest = asyncio.run(run())
    except BackupError as exc:
        print(f"contact-center {command}: {exc}", file=sys.stderr)
        return 1
    summary = {t: manifest.counts.get(t, 0) for t in SUMMARY_TABLES}
    print(json.dumps({"engine": manifest.engine, "revisions": manifest.revisions, "counts": summary,
                      "attachments": len(manifest.attachments), "missing": manifest.missing}))  # fmt: skip
    if manifest.missing:
        missing = len(manifest.missing)
        print(f"contact-center {command}: {missing} adjunto(s) faltan en DATA_DIR", file=sys.stderr)
        return 1
    return 0
