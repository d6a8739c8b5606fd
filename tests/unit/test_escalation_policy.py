"""The escalation policy: which points a PQRD's legal clock has, in which order, and for whom."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from contact_center.core.errors import InvalidInput
from contact_center.pqrd.domain.calendar import BusinessCalendar
from contact_center.pqrd.domain.escalation import (
    EscalationPolicy,
    Tier,
    due_point,
    next_point,
    overtaken,
    policy_from_dict,
    policy_to_dict,
    schedule,
)
from contact_center.pqrd.domain.legal_clock import ClockFacts, Extension, LegalClock, PqrdType, Suspension
from contact_center.pqrd.domain.tickets import TicketStatus

FILED = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday 10:00 in Bogotá; due 2026-12-15
CLOCK = LegalClock(BusinessCalendar())
POLICY = EscalationPolicy()


def _points(facts: ClockFacts, status: TicketStatus = TicketStatus.EN_TRAMITE, now: datetime = FILED):
    return schedule(POLICY, CLOCK, facts, status, now)


def test_a_peticion_has_every_threshold_and_statutory_day_in_calendar_order() -> None:
    points = _points(ClockFacts(PqrdType.PETICION, FILED))
    assert [(p.key, p.day, p.tier) for p in points] == [
        ("forwarding", date(2026, 11, 30), Tier.ASSIGNEE),  # art. 21: 5 business days
        ("term_50", date(2026, 12, 3), Tier.ASSIGNEE),  # day 8 of 15
        ("completion_request", date(2026, 12, 7), Tier.ASSIGNEE),  # art. 17: 10 business days
        ("term_80", date(2026, 12, 10), Tier.ASSIGNEE),  # day 12 of 15
        ("left_2", date(2026, 12, 11), Tier.SUPERVISOR),  # 8 December is a holiday
        ("extension_notice", date(2026, 12, 14), Tier.SUPERVISOR),  # the day before the due date
        ("left_0", date(2026, 12, 15), Tier.SUPERVISOR),  # due today
        ("overdue", date(2026, 12, 16), Tier.ATENCION_CIUDADANO),
    ]
    assert points[0].at == datetime(2026, 11, 30, 13, 0, tzinfo=UTC)  # 08:00 in Bogotá


def test_a_consulta_of_thirty_days_orders_its_points_differently() -> None:
    keys = [p.key for p in _points(ClockFacts(PqrdType.CONSULTA, FILED))]
    assert keys.index("completion_request") < keys.index("term_50")


@pytest.mark.parametrize(
    "status",
    [
        TicketStatus.SUSPENDIDO,
        TicketStatus.RESPONDIDO,
        TicketStatus.CERRADO,
        TicketStatus.TRASLADADO,
        TicketStatus.DESISTIDO,
    ],
)
def test_a_ticket_whose_clock_stopped_has_no_escalation(status: TicketStatus) -> None:
    assert _points(ClockFacts(PqrdType.PETICION, FILED), status) == []


def test_an_open_completion_request_stops_escalation_even_in_a_running_status() -> None:
    facts = ClockFacts(PqrdType.PETICION, FILED, suspensions=(Suspension(date(2026, 11, 26)),))
    assert _points(facts) == []


def test_an_extension_brings_fresh_thresholds_for_the_new_term_and_drops_the_statutory_days() -> None:
    ext = Extension(date(2026, 12, 10), date(2027, 1, 14), "Visita técnica pendiente")
    facts = ClockFacts(PqrdType.PETICION, FILED, extension=ext)
    points = _points(facts, TicketStatus.PRORROGADO, datetime(2026, 12, 10, 15, tzinfo=UTC))
    assert {p.key for p in points} == {
        "term_50@prorroga",
        "term_80@prorroga",
        "left_2@prorroga",
        "left_0@prorroga",
        "overdue@prorroga",
    }
    assert max(points).day == date(2027, 1, 15)  # overdue the business day after the new due date


def test_next_point_skips_fired_keys_and_due_point_waits_for_its_instant() -> None:
    points = _points(ClockFacts(PqrdType.PETICION, FILED))
    assert next_point(points, {"forwarding"}) == points[1]
    assert due_point(points, set(), FILED) is None
    assert due_point(points, set(), points[0].at) == points[0]
    assert next_point(points, {p.key for p in points}) is None


def test_thresholds_are_configurable_and_validated() -> None:
    policy = replace(POLICY, term_used=((0.25, Tier.SUPERVISOR),), days_left=(), forwarding=None)
    keys = [
        p.key
        for p in schedule(policy, CLOCK, ClockFacts(PqrdType.PETICION, FILED), TicketStatus.ASIGNADO, FILED)
    ]
    assert keys == ["term_25", "completion_request", "extension_notice", "overdue"]
    with pytest.raises(InvalidInput):
        EscalationPolicy(term_used=((1.5, Tier.ASSIGNEE),))


def test_a_point_overtaken_by_a_fired_one_is_passed_over() -> None:
    # A new policy adds 30 % to a ticket whose 50 % point fired already: no late alert for 30 %.
    policy = replace(POLICY, term_used=((0.3, Tier.ASSIGNEE), (0.5, Tier.ASSIGNEE), (0.8, Tier.ASSIGNEE)))
    points = schedule(policy, CLOCK, ClockFacts(PqrdType.PETICION, FILED), TicketStatus.EN_TRAMITE, FILED)
    keys = [p.key for p in points]
    assert keys.index("term_30") < keys.index("term_50")
    fired = {"forwarding", "term_50"}
    assert next_point(points, fired) == points[keys.index("term_50") + 1]
    assert due_point(points, fired, points[keys.index("term_50") + 1].at) == points[keys.index("term_50") + 1]


def test_points_passed_while_nothing_ran_fire_once_as_the_latest_with_the_highest_tier() -> None:
    # An imported PQRD (or a worker down for weeks): every point is behind it; one alert, not eight.
    points = _points(ClockFacts(PqrdType.PETICION, FILED))
    caught_up = due_point(points, set(), points[-1].at)
    assert caught_up is not None and caught_up.key == "overdue" and caught_up.tier == Tier.ATENCION_CIUDADANO
    assert overtaken(points, set(), caught_up) == [p.key for p in points[:-1]]
    assert next_point(points, {caught_up.key}) is None
    # Two days before the due date: "Quedan 2 días" (supervisors) overtakes the assignee-tier points.
    left_2 = next(p for p in points if p.key == "left_2")
    late = due_point(points, {"forwarding"}, left_2.at)
    assert late is not None and late.key == "left_2" and late.tier == Tier.SUPERVISOR
    term_80 = next(p for p in points if p.key == "term_80")
    assert due_point(points, {"forwarding"}, term_80.at).key == "term_80"  # type: ignore[union-attr]


def test_the_policy_round_trips_through_its_json_shape_and_refuses_bad_data() -> None:
    data = policy_to_dict(POLICY)
    assert policy_from_dict(data) == POLICY
    assert data["statutory"]["extension_notice"] == "supervisor"
    changed = policy_from_dict({**data, "term_used": [{"share": 1, "tier": "supervisor"}], "statutory": {}})
    assert changed.term_used == ((1.0, Tier.SUPERVISOR),) and changed.forwarding is Tier.ASSIGNEE
    for bad, code in [
        ({"term_used": [{"share": 0.0, "tier": "assignee"}]}, "invalid_threshold"),
        ({"days_left": [{"days": -2, "tier": "assignee"}]}, "invalid_threshold"),
        ({"days_left": [{"days": 1.5, "tier": "assignee"}]}, "invalid_policy"),
        ({"overdue": "alcalde"}, "unknown_tier"),
        ({"statutory": {"apelacion": "assignee"}}, "invalid_policy"),
        ({"term_used": [{"share": 0.5}]}, "invalid_policy"),
        (
            {"days_left": [{"days": 2, "tier": "assignee"}, {"days": 2, "tier": "supervisor"}]},
            "duplicate_threshold",
        ),
    ]:
        with pytest.raises(InvalidInput) as error:
            policy_from_dict(bad)
        assert error.value.code == code, bad
