"""The upgrade check: a migration newer than the last release that drops or renames what the previous
release reads is flagged, unless it is the contract step of a released expand step."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.operations.migration_lint import check, released
from tests.support.server import ROOT

VERSIONS = ROOT / "migrations" / "versions"
RELEASED = ROOT / "migrations" / "released_revisions.txt"
HEADER = (
    'revision = "{rev}"\ndown_revision = "0014"\n{extra}\nfrom alembic import op\nimport sqlalchemy as sa\n\n'
)


def test_no_unreleased_migration_breaks_the_previous_release() -> None:
    findings = check(VERSIONS, released(RELEASED))
    assert findings == [], "\n".join(map(str, findings))


def test_every_released_revision_exists() -> None:
    revisions = {line.split('"')[1] for f in VERSIONS.glob("*.py") for line in f.read_text().splitlines()
                 if line.startswith("revision")}  # fmt: skip
    assert released(RELEASED) <= revisions


def migration(folder: Path, upgrade: str, *, extra: str = "", downgrade: str = "pass") -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / "0099_new.py"
    body = f"def upgrade() -> None:\n    {upgrade}\n\n\ndef downgrade() -> None:\n    {downgrade}\n"
    path.write_text(HEADER.format(rev="0099", extra=extra) + body)
    return path


@pytest.mark.parametrize(
    "upgrade",
    [
        'op.drop_column("tickets", "subject")',
        'op.drop_table("messages")',
        'op.rename_table("messages", "chat_messages")',
        'op.alter_column("tickets", "subject", new_column_name="asunto")',
        'with op.batch_alter_table("tickets") as batch:\n        batch.drop_column("subject")',
        'op.execute("ALTER TABLE tickets DROP COLUMN subject")',
        'op.execute(sa.text("ALTER TABLE tickets RENAME COLUMN subject TO asunto"))',
    ],
)
def test_a_drop_or_rename_in_upgrade_is_flagged(tmp_path: Path, upgrade: str) -> None:
    migration(tmp_path, upgrade)
    findings = check(tmp_path, released(RELEASED))
    assert len(findings) == 1 and findings[0].file == "0099_new.py"


def test_additions_and_drops_in_downgrade_pass(tmp_path: Path) -> None:
    migration(
        tmp_path,
        'op.add_column("tickets", sa.Column("asunto", sa.String(300)))',
        downgrade='op.drop_column("tickets", "asunto")',
    )
    assert check(tmp_path, released(RELEASED)) == []


def test_the_contract_step_of_a_released_expand_step_passes(tmp_path: Path) -> None:
    migration(tmp_path, 'op.drop_column("tickets", "subject")', extra='contract_of = "0013"')
    assert check(tmp_path, released(RELEASED)) == []
    migration(tmp_path, 'op.drop_column("tickets", "subject")', extra='contract_of = "0098"')  # unreleased
    assert len(check(tmp_path, released(RELEASED))) == 1


def test_released_migrations_are_not_rechecked(tmp_path: Path) -> None:
    migration(tmp_path, 'op.drop_column("tickets", "subject")')
    assert check(tmp_path, {"0099"}) == []
