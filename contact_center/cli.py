"""`contact-center`: serve, worker, database and administration commands."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from contact_center import citizens_cli, escalation_cli, import_cli, ticket_cli
from contact_center.config import ConfigError, Settings, load_settings
from contact_center.logs import configure_logging
from contact_center.persistence import DatabaseNotReady
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
    sub.add_parser("seed-demo", help="create demo dependencias, queues and officials").set_defaults(
        run=_seed_demo
    )
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
EXTRA_COMMANDS.append(tramites_cli.register)


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from contact_center.app import run

    if args.host:
        settings.host = args.host
    if args.port:
        settings.port = args.port
    # The embedded default (SQLite) upgrades itself as it starts: only a newer schema stops it.
    _require_current_schema(settings, older_ok=settings.is_sqlite)
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
    return run_worker(settings)


def _require_current_schema(settings: Settings, *, older_ok: bool = False) -> None:
    """Raise `DatabaseNotReady` (one line for the operator) unless the schema is this code's."""
    from contact_center.persistence import migrate

    asyncio.run(migrate.require_heads(settings.effective_database_url, older_ok=older_ok))


def _db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from contact_center.persistence import migrate

    migrate.upgrade(settings.effective_database_url, args.revision)
    print(f"database at {args.revision}")
    return 0


def _db_downgrade(args: argparse.Namespace, settings: Settings) -> int:
    from contact_center.persistence import migrate

    migrate.downgrade(settings.effective_database_url, args.revision)
    print(f"database at {args.revision}")
    return 0


def _seed_demo(args: argparse.Namespace, settings: Settings) -> int:
    from contact_center.services.seed import seed_demo

    result = run_in_uow(settings, seed_demo)
    print(json.dumps(result, ensure_ascii=False))
    return 0


def run_in_uow(settings: Settings, action: Callable[..., Awaitable[Any]], *args: Any) -> Any:
    """Run one service call in its own unit of work, with the schema upgraded first on SQLite
    (and refused with `DatabaseNotReady` when it is not at this code's migrations elsewhere)."""
    from contact_center.domain.clock import SystemClock
    from contact_center.persistence import migrate
    from contact_center.persistence.db import create_engine, session_factory
    from contact_center.services.notifier import RecordingNotifier
    from contact_center.services.uow import UnitOfWorkFactory

    async def go() -> Any:
        if settings.is_sqlite:
            await migrate.upgrade_async(settings.effective_database_url)
        await migrate.require_heads(settings.effective_database_url)
        engine = create_engine(settings.effective_database_url, pool_size=2)
        try:
            factory = UnitOfWorkFactory(session_factory(engine), RecordingNotifier(), SystemClock())
            async with factory() as uow:
                return await action(uow, *args)
        finally:
            await engine.dispose()

    return asyncio.run(go())


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
        return command(args, settings)
    except ConfigError as exc:
        print(f"contact-center: configuración no válida: {exc}", file=sys.stderr)
        return 2
    except DatabaseNotReady as exc:
        print(f"contact-center: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
