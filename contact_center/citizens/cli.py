"""`contact-center citizens merge ID --into ID --reason TEXT [--official EMAIL]`.

Joins the duplicate record ID to the surviving one with the same rules as
`POST /api/v1/citizens/{id}/merge` (`contact_center.citizens.services.merge`), and records the merge
in `citizen_merges`, naming the official given with `--official` (a supervisor or administrator)
or, without it, the CLI operator (`actor_kind` "system"). Prints the merge as JSON. A refusal
prints the Spanish message and its code on stderr and exits with 1; usage errors are argparse's (2).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from contact_center.core.config import Settings
from contact_center.core.errors import DomainError


def register(sub: Any) -> None:
    """Add the `citizens` group (appended to `contact_center.cli.EXTRA_COMMANDS`)."""
    group = sub.add_parser("citizens", help="citizen records").add_subparsers(
        dest="citizens_command", required=True
    )
    merge = group.add_parser("merge", help="merge a duplicate citizen record into the surviving one")
    merge.add_argument("citizen_id", type=int, metavar="ID", help="the duplicate record")
    merge.add_argument("--into", type=int, required=True, metavar="ID", help="the surviving record")
    merge.add_argument("--reason", required=True, help="why (e.g. the document checked in person)")
    merge.add_argument("--official", metavar="EMAIL", help="the supervisor or administrator merging")
    merge.set_defaults(run=_merge)


def _merge(args: argparse.Namespace, settings: Settings) -> int:
    from contact_center.core.commands import run_in_uow

    try:
        out: dict[str, Any] = run_in_uow(settings, _merge_action(args))
    except DomainError as exc:
        print(f"contact-center: {exc.message} ({exc.code})", file=sys.stderr)
        return 1
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


def _merge_action(args: argparse.Namespace) -> Any:
    from contact_center.citizens.services import merge as citizen_merge
    from contact_center.core.uow import UnitOfWork

    async def action(uow: UnitOfWork) -> dict[str, Any]:
        official_id = None if args.official is None else await _merging_official(uow, args.official)
        done = await citizen_merge.merge_citizens(
            uow,
            citizen_merge.MergeRequest(
                citizen_id=args.citizen_id,
                into_id=args.into,
                reason=args.reason,
                official_id=official_id,
                via="cli",
            ),
        )
        await uow.commit()
        return {
            "merge_id": done.merge_id,
            "citizen_id": done.citizen_id,
            "into": done.into_id,
            "requested_into": done.requested_into_id,
            "merged_by": done.official_id,
            "reason": done.reason,
            "merged_at": done.merged_at.isoformat(),
            "citizen_ids": done.citizen_ids,
        }

    return action


async def _merging_official(uow: Any, email: str) -> int:
    from sqlalchemy import select

    from contact_center.core.db.models import Official
    from contact_center.core.errors import Forbidden, NotFound
    from contact_center.core.officials import Role, role_allows

    official = await uow.session.scalar(select(Official).where(Official.email == email.strip().lower()))
    if official is None or not official.active:
        raise NotFound(f"No existe un funcionario activo con el correo {email}.", code="official_not_found")
    if not role_allows(Role(official.role), Role.SUPERVISOR):
        raise Forbidden("Solo un supervisor o un administrador puede unir ciudadanos.", code="role_required")
    official_id: int = official.id
    return official_id
