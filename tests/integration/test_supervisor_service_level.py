"""The dashboard's "service level over the day" chart: the snapshot pushed on /supervisors carries
the day's series (one point a minute, coalesced), and it follows an answered chat."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from agents_ui.supervision import ServiceLevelSeries
from tests.integration.test_agents_console import attended_chat
from tests.integration.test_supervisor_dashboard import supervisor
from tests.support import chat_clients

console = chat_clients.console
MORNING_IN_BOGOTA = 1_790_000_000.0  # 2026-09-21 09:13 in Bogotá


async def test_the_snapshot_carries_the_days_service_level(
    backend: str, console: TestClient[Any, Any]
) -> None:
    sup, first = await supervisor(console)
    assert len(first["service_levels"]) == 1 and first["service_levels"][0][1] is None  # nobody answered
    await attended_chat(console)  # answered at once: within every queue's threshold
    pushed = await sup.next(
        "dashboard", wait=5, where=lambda d: d["service_levels"] and d["service_levels"][-1][1] is not None
    )
    assert pushed["service_levels"][-1][1] == 100.0
    assert len(pushed["service_levels"]) == 1  # the same minute: its newest value, not a new point
    assert abs(pushed["service_levels"][0][0] - first["service_levels"][0][0]) < 60


def test_the_series_keeps_one_point_a_minute_and_starts_again_at_midnight() -> None:
    series = ServiceLevelSeries()
    series.add(MORNING_IN_BOGOTA, None)
    series.add(MORNING_IN_BOGOTA + 30, 80.0)
    series.add(MORNING_IN_BOGOTA + 61, 75.5)
    assert series.points() == [[round(MORNING_IN_BOGOTA), 80.0], [round(MORNING_IN_BOGOTA + 61), 75.5]]
    next_day = MORNING_IN_BOGOTA + 86_400
    series.add(next_day, 90.0)
    assert series.points() == [[round(next_day), 90.0]]
