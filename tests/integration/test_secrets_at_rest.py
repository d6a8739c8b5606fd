"""No secret at rest or in logs: database errors without their parameters, idempotency records
without access codes or tokens, and records that expire."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import text

from contact_center.web.keys import ENGINE

Client = TestClient[Any, Any]


async def test_a_database_error_does_not_carry_its_parameters(client: Client, backend: str) -> None:
    engine = client.app[ENGINE]
    with pytest.raises(Exception) as info:
        async with engine.connect() as conn:
            await conn.execute(text("INSERT INTO no_such_table (x) VALUES (:x)"), {"x": "$argon2id$secret"})
    assert "no_such_table" in str(info.value)
    assert "$argon2id$secret" not in str(info.value)
