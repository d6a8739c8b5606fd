"""`contact-center`: serve, worker, database and administration commands."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any

from channels.asterisk import prompts_cli as asterisk_prompts_cli
from contact_center.citizens import cli as citizens_cli
from contact_center.core.commands import run_in_uow
from contact_center.core.config import ConfigError, Settings, load_settings
from contact_center.core.db import DatabaseNotReady
from contact_center.core.logs import configure_logging
from contact_center.operations import backup_cli, retention_cli
from contact_center.pqrd.cli import escalation as escalation_cli
from contact_center.pqrd.cli import imports as import_cli
from contact_center.pqrd.cli import tickets as ticket_cli
from contact_center.tramites import cli as tramites_cli
from routing import cli as routing_cli

log = logging.getLogger("contact_center.cli")
Command = Callable[[argparse.Namespace, Settings], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="contact-center", description="Pasto 195 contact centre")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the web service (HTTP + socket.io)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(run=_serve)
    sub.add_parser("worker", help="run an RQ worker with its scheduler (needs REDIS_URL)").set_defaults(
        run=_worker
    )
    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    up = db.add_parser("upgrade", help="migrate to the newest schema (or --revision)")
    up.add_argument("--revision", default="heads")
    up.set_defaults(run=_db_upgrade)
    down = db.add_parser("downgrade", help="migrate down to --revision (default: base)")
    down.add_argument("--revision", default="base")
    down.set_defaults(run=_db_downgrade)
    mark = db.add_parser(
        "mark-production", help="mark this database as production: CLOCK_OFFSET_DAYS is refused on it"
    )
    mark.add_argument("--off", action="store_true", help="remove the mark (a staging copy of production)")
    mark.set_defaults(run=_db_mark_production)
    seed = sub.add_parser("seed-demo", help="create demo dependencias, queues and officials")
    seed.add_argument(
        "--allow-demo-accounts",
        action="store_true",
        help="create the demo officials (known password) on PostgreSQL too (or ALLOW_DEMO_SEED=1)",
    )
    seed.set_defaults(run=_seed_demo)
    for register in EXTRA_COMMANDS:
        register(sub)
    return parser


# Feature modules append functions that add their own sub-commands.
EXTRA_COMMANDS: list[Callable[[Any], None]] = []
EXTRA_COMMANDS.append(ticket_cli.register)
EXTRA_COMMANDS.append(import_cli.register)
EXTRA_COMMANDS.append(escalation_cli.register)
EXTRA_COMMANDS.append(routing_cli.register)
EXTRA_COMMANDS.append(citizens_cli.register)
EXTRA_COMMANDS.append(backup_cli.register)
EXTRA_COMMANDS.append(retention_cli.register)
EXTRA_COMMANDS.append(asterisk_prompts_cli.register)
EXTRA_COMMANDS.append(tramites_cli.register)


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from contact_center.app import run

    if args.host:
        settings.host = args.host
    if args.port:
        settings.port = args.port
    # The embedded default (SQLite) upgrades itself as it starts: only a newer schema stops it.
    _require_current_schema(settings, older_ok=settings.is_sqlite)
    _require_offset_allowed(settings)
    run(settings)
    return 0


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.redis_url:
        print(
            "contact-center worker: REDIS_URL no está definido (el worker usa RQ sobre Redis).",
            file=sys.stderr,
        )
        return 2
    from contact_center.jobs.worker import run_worker

    _require_current_schema(settings)
    _require_offset_allowed(settings)
    return run_worker(settings)


def _require_offset_allowed(settings: Settings) -> None:
    from contact_center.pqrd.services.staging_clock import require_offset_allowed

    require_offset_allowed(settings)  # ConfigError (exit 2) on a production database


def _db_mark_production(args: argparse.Namespace, settings: Settings) -> int:
    from contact_center.pqrd.services.staging_clock import mark_production

    production = run_in_uow(settings, mark_production, not args.off)
    print("database marked as production" if production else "database not marked as production")
    return 0


def _require_current_schema(settings: Settings, *, older_ok: bool = False) -> None:
    """Raise `DatabaseNotReady` (one line for the operator) unless the schema is this code's."""
    from contact_center.core.db import migrate

    asyncio.run(migrate.require_heads(settings.effective_database_url, older_ok=older_ok))


def _db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from contact_center.core.db import migrate

    migrate.upgrade(settings.effective_database_url, args.revision)
    print(f"database at {args.revision}")
    return 0


def _db_downgrade(args: argparse.Namespace, settings: Settings) -> int:
    from contact_center.core.db import migrate

    migrate.downgrade(settings.effective_database_url, args.revision)
    print(f"database at {args.revision}")
    return 0


def _seed_demo(args: argparse.Namespace, settings: Settings) -> int:
    from contact_center.seed import seed_demo

    if not settings.is_sqlite and not (args.allow_demo_accounts or settings.allow_demo_seed):
        print(
            "contact-center: seed-demo crea funcionarios con la contraseña pública 'demo-195'; en "
            "PostgreSQL solo con --allow-demo-accounts o ALLOW_DEMO_SEED=1",
            file=sys.stderr,
        )
        return 2
    result = run_in_uow(settings, seed_demo)
    print(json.dumps(result, ensure_ascii=False))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"contact-center: configuración no válida: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    command: Command = args.run
    try:
        if command not in (_serve, _worker, _db_upgrade, _db_downgrade, _db_mark_production):
            _require_offset_allowed(settings)  # every other command reads the shifted clock
        return command(args, settings)
    except ConfigError as exc:
        print(f"contact-center: configuración no válida: {exc}", file=sys.stderr)
        return 2
    except DatabaseNotReady as exc:
        print(f"contact-center: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
