"""pg_dump and pg_restore get the database password through PGPASSWORD, never on their command line."""

from __future__ import annotations

from contact_center.operations.backup import pg_tool


async def test_the_password_is_passed_in_the_environment_not_the_arguments() -> None:
    script = 'echo "$PGPASSWORD|$2" >&2'  # $1 is -d, $2 the URL
    code, out = await pg_tool(
        "sh", "-c", script, "sh", url="postgresql://pasto195:s3cr3t@db.internal/pasto195"
    )
    assert code == 0
    assert out == "s3cr3t|postgresql://pasto195@db.internal/pasto195"
