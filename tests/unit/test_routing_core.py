"""The routing core with explicit instants: steps, priority, ties, capacity and the offer cycle."""

from __future__ import annotations

import doctest
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

import routing.priority
from contact_center.core.errors import Conflict, NotFound
from routing.core import (
    MISSED_OFFER_REASON,
    CallbackStep,
    Channel,
    ItemStatus,
    OfficialSnapshot,
    OverflowStep,
    Presence,
    QueueConfig,
    RelaxStep,
    RoutingConfig,
    RoutingCore,
    StepFired,
    StepKind,
    WorkItem,
    WrapUpEnded,
)
from routing.core.router import DrainStrategy
from routing.naive import naive_drain, naive_match_item, naive_match_official
from routing.priority import Art20Flag, LegalUrgency

T0 = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def official(
    official_id: str,
    skills: dict[str, int] | None = None,
    *,
    idle_since: float = 0,
    chat: int = 1,
    voice: int = 0,
    pqrd: int = 0,
    load: dict[Channel, int] | None = None,
    presence: Presence = Presence.AVAILABLE,
) -> OfficialSnapshot:
    return OfficialSnapshot(
        official_id=official_id,
        skills=skills if skills is not None else {"tramites": 5},
        capacity={Channel.CHAT: chat, Channel.VOICE: voice, Channel.PQRD: pqrd},
        load=load or {},
        presence=presence,
        idle_since=at(idle_since),
    )


def item(
    item_id: str,
    queue_id: str = "tramites",
    *,
    enqueued: float = 0,
    channel: Channel = Channel.CHAT,
    urgency: LegalUrgency | None = None,
) -> WorkItem:
    return WorkItem(
        item_id=item_id,
        queue_id=queue_id,
        channel=channel,
        enqueued_at=at(enqueued),
        urgency=urgency,
    )


def make_core(*queues: QueueConfig, missed_offers_before_away: int = 1) -> RoutingCore:
    if not queues:
        queues = (QueueConfig(queue_id="tramites", required_skills={"tramites": 3}),)
    config = RoutingConfig(queues=queues, missed_offers_before_away=missed_offers_before_away)
    return RoutingCore(config)


# Queue configuration --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("queue", "message"),
    [
        ({"required_skills": {"tramites": 11}}, "less than or equal to 10"),
        ({"required_skills": {"tramites": 0}}, "greater than or equal to 1"),
        (
            {
                "steps": [
                    {"kind": "relax", "after_seconds": 60, "to_level": 2},
                    {"kind": "callback", "after_seconds": 30},
                ]
            },
            "step times must strictly increase",
        ),
        (
            {
                "steps": [
                    {"kind": "relax", "after_seconds": 30, "to_level": 2},
                    {"kind": "relax", "after_seconds": 60, "to_level": 4},
                ]
            },
            "each relaxation must lower the level further",
        ),
        (
            {"steps": [{"kind": "overflow", "after_seconds": 30, "target_queue_id": "q"}]},
            "cannot overflow to itself",
        ),
    ],
)
def test_invalid_queue_config_is_refused_with_a_clear_error(queue: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        QueueConfig.model_validate({"queue_id": "q", **queue})


def test_overflow_to_a_queue_that_does_not_exist_is_refused() -> None:
    queue = QueueConfig(queue_id="a", steps=(OverflowStep(after_seconds=10, target_queue_id="b"),))
    with pytest.raises(ValidationError, match="overflows to unknown queue 'b'"):
        RoutingConfig(queues=(queue,))


def test_repeated_queue_ids_are_refused() -> None:
    with pytest.raises(ValidationError, match="repeated"):
        RoutingConfig(queues=(QueueConfig(queue_id="a"), QueueConfig(queue_id="a")))


def test_naive_datetimes_are_refused() -> None:
    core = make_core()
    with pytest.raises(ValueError, match="timezone-aware"):
        core.step_timer(datetime(2026, 11, 23, 10, 0))


# Time steps ------------------------------------------------------------------------------------


def relaxing_queue() -> QueueConfig:
    return QueueConfig(
        queue_id="tramites",
        required_skills={"tramites": 7, "idioma_ingles": 6},
        steps=(RelaxStep(after_seconds=30, to_level=4), RelaxStep(after_seconds=90, to_level=2)),
    )


def test_an_official_below_the_level_gets_the_item_once_the_requirement_relaxes() -> None:
    core = make_core(relaxing_queue())
    core.official_changed(official("ana", {"tramites": 5, "idioma_ingles": 4}), at(0))
    core.item_arrived(item("chat-1"), at(0))

    assert core.next_step_at() == at(30)
    assert core.match_item("chat-1", at(29.999)) is None
    assert core.match_official("ana", at(29.999)) is None
    assert core.match_item("chat-1", at(30)) == "ana"
    assert core.match_official("ana", at(30)) == "chat-1"
    assert core.next_step_at() == at(90)


def test_relaxation_only_lowers_levels_and_never_admits_a_missing_skill() -> None:
    core = make_core(relaxing_queue())
    core.official_changed(official("beto", {"tramites": 9}), at(0))
    core.item_arrived(item("chat-1"), at(0))

    assert core.match_item("chat-1", at(500)) is None


def test_after_overflow_the_item_is_also_eligible_in_the_target_queue() -> None:
    impuestos = QueueConfig(
        queue_id="impuestos",
        required_skills={"impuestos": 5},
        steps=(OverflowStep(after_seconds=60, target_queue_id="general"),),
    )
    general = QueueConfig(queue_id="general", required_skills={"atencion": 2})
    core = make_core(impuestos, general)
    core.official_changed(official("carla", {"atencion": 3}), at(0))
    core.item_arrived(item("chat-1", "impuestos"), at(0))

    assert core.match_item("chat-1", at(59)) is None
    assert core.step_timer(at(60)) == [StepFired("chat-1", "impuestos", StepKind.OVERFLOW, at(60), "general")]
    assert core.match_item("chat-1", at(60)) == "carla"
    assert core.match_official("carla", at(60)) == "chat-1"


def test_a_callback_step_is_reported_and_the_item_keeps_waiting() -> None:
    queue = QueueConfig(
        queue_id="tramites",
        required_skills={"tramites": 3},
        steps=(CallbackStep(after_seconds=120),),
    )
    core = make_core(queue)
    core.item_arrived(item("call-1", channel=Channel.VOICE), at(0))

    assert core.step_timer(at(119)) == []
    assert core.step_timer(at(400)) == [StepFired("call-1", "tramites", StepKind.CALLBACK, at(120))]
    assert core.items["call-1"].status is ItemStatus.WAITING
    assert core.next_step_at() is None


def test_an_item_recovered_after_a_restart_fires_its_overdue_steps_on_arrival() -> None:
    core = make_core(relaxing_queue())
    core.official_changed(official("ana", {"tramites": 3, "idioma_ingles": 3}), at(100))
    core.item_arrived(item("chat-1", enqueued=0), at(100))

    assert core.match_item("chat-1", at(100)) == "ana"
    assert [signal.at for signal in core.step_timer(at(100))] == [at(30), at(90)]


def test_an_item_that_comes_back_with_the_same_id_gets_fresh_timers() -> None:
    core = make_core(relaxing_queue())
    core.official_changed(official("ana", {"tramites": 5, "idioma_ingles": 5}), at(0))
    core.item_arrived(item("chat-1"), at(0))
    core.item_removed("chat-1", at(10))
    core.item_arrived(item("chat-1", enqueued=20), at(20))

    assert core.match_item("chat-1", at(30)) is None  # the first visit's 30 s step is void
    assert core.next_step_at() == at(50)
    assert core.match_item("chat-1", at(50)) == "ana"


# Priority --------------------------------------------------------------------------------------


def test_a_pqrd_with_one_business_day_left_beats_an_older_one_with_ten() -> None:
    core = make_core()
    core.official_changed(official("dora", chat=0, pqrd=5), at(0))
    relaxed = LegalUrgency(business_days_left=10, fraction_elapsed=0.33)
    pressing = LegalUrgency(business_days_left=1, fraction_elapsed=0.93)
    core.item_arrived(item("pqrd-old", channel=Channel.PQRD, urgency=relaxed), at(0))
    core.item_arrived(item("pqrd-new", enqueued=60, channel=Channel.PQRD, urgency=pressing), at(60))

    assert core.match_official("dora", at(60)) == "pqrd-new"


def test_a_life_at_risk_outranks_an_expiring_term() -> None:
    core = make_core()
    core.official_changed(official("dora", chat=0, pqrd=5), at(0))
    expiring = LegalUrgency(business_days_left=0, fraction_elapsed=1.0)
    at_risk = LegalUrgency(flags=frozenset({Art20Flag.RIESGO_VIDA}), business_days_left=14)
    core.item_arrived(item("pqrd-expiring", channel=Channel.PQRD, urgency=expiring), at(0))
    core.item_arrived(item("pqrd-vida", enqueued=5, channel=Channel.PQRD, urgency=at_risk), at(5))

    assert core.match_official("dora", at(5)) == "pqrd-vida"


def test_new_legal_clock_figures_reorder_waiting_items_without_changing_their_age() -> None:
    core = make_core()
    core.official_changed(official("dora", chat=0, pqrd=5), at(0))
    core.item_arrived(item("a", channel=Channel.PQRD, urgency=LegalUrgency(business_days_left=8)), at(0))
    core.item_arrived(
        item("b", enqueued=1, channel=Channel.PQRD, urgency=LegalUrgency(business_days_left=8)),
        at(1),
    )
    assert core.match_official("dora", at(2)) == "a"

    core.item_urgency_changed("b", LegalUrgency(business_days_left=2), at(2))

    assert core.match_official("dora", at(2)) == "b"
    assert core.items["b"].enqueued_us == core.items["b"].key[1]


def test_higher_queue_priority_is_served_first_across_queues() -> None:
    core = make_core(
        QueueConfig(queue_id="general", required_skills={"tramites": 1}, priority=0),
        QueueConfig(queue_id="emergencias", required_skills={"tramites": 1}, priority=50),
    )
    core.official_changed(official("ana"), at(0))
    core.item_arrived(item("old", "general"), at(0))
    core.item_arrived(item("urgent", "emergencias", enqueued=30), at(30))

    assert core.match_official("ana", at(30)) == "urgent"


def test_the_priority_examples_hold() -> None:
    assert doctest.testmod(routing.priority).failed == 0


# Choosing an official ----------------------------------------------------------------------------


def test_longest_idle_official_gets_the_item() -> None:
    core = make_core()
    core.official_changed(official("ana", idle_since=50), at(100))
    core.official_changed(official("beto", idle_since=10), at(100))
    core.item_arrived(item("chat-1", enqueued=100), at(100))

    assert core.match_item("chat-1", at(100)) == "beto"


def test_equal_idle_time_goes_to_the_least_loaded_official() -> None:
    core = make_core()
    core.official_changed(official("ana", chat=3, load={Channel.CHAT: 2}), at(100))
    core.official_changed(official("beto", chat=3, load={Channel.CHAT: 1}), at(100))
    core.item_arrived(item("chat-1", enqueued=100), at(100))

    assert core.match_item("chat-1", at(100)) == "beto"


def test_equal_idle_and_load_goes_to_the_highest_level_then_the_smallest_id() -> None:
    core = make_core()
    core.official_changed(official("carla", {"tramites": 4}), at(0))
    core.official_changed(official("beto", {"tramites": 8}), at(0))
    core.official_changed(official("ana", {"tramites": 8}), at(0))
    core.item_arrived(item("chat-1"), at(0))

    assert core.match_item("chat-1", at(0)) == "ana"
    core.official_changed(official("ana", {"tramites": 6}), at(0))
    assert core.match_item("chat-1", at(0)) == "beto"


def test_officials_away_busy_offline_or_in_wrap_up_get_nothing() -> None:
    core = make_core()
    for name, presence in [("a", Presence.AWAY), ("b", Presence.BUSY), ("c", Presence.OFFLINE)]:
        core.official_changed(official(name, presence=presence), at(0))
    wrapping = official("d").model_copy(update={"wrap_up_until": at(60)})
    core.official_changed(wrapping, at(0))
    core.item_arrived(item("chat-1"), at(0))

    assert core.match_item("chat-1", at(10)) is None
    assert core.match_official("d", at(10)) is None
    assert core.match_item("chat-1", at(60)) == "d"


def test_the_item_must_be_on_a_channel_where_the_official_has_room() -> None:
    core = make_core()
    core.official_changed(official("ana", chat=2, voice=0), at(0))
    core.item_arrived(item("call-1", channel=Channel.VOICE), at(0))

    assert core.match_item("call-1", at(0)) is None
    assert core.match_official("ana", at(0)) is None


# Capacity and the offer cycle -----------------------------------------------------------------


def test_capacity_is_never_exceeded_by_offers() -> None:
    core = make_core()
    core.official_changed(official("ana", chat=2), at(0))
    for n in range(3):
        core.item_arrived(item(f"chat-{n}", enqueued=n), at(n))

    offers = core.drain(at(5))

    assert [(o.item_id, o.official_id) for o in offers] == [("chat-0", "ana"), ("chat-1", "ana")]
    assert core.officials["ana"].load[Channel.CHAT] == 2
    assert core.match_official("ana", at(5)) is None
    with pytest.raises(Conflict) as refused:
        core.offer("chat-2", "ana", at(5))
    assert refused.value.code == "routing.official_full"


def test_lowering_capacity_below_the_load_stops_new_offers() -> None:
    core = make_core()
    core.official_changed(official("ana", chat=3, load={Channel.CHAT: 2}), at(0))
    core.official_changed(official("ana", chat=1, load={Channel.CHAT: 2}), at(1))
    core.item_arrived(item("chat-1", enqueued=1), at(1))

    assert core.drain(at(2)) == []


def test_a_rejected_item_goes_back_to_its_original_place() -> None:
    core = make_core(missed_offers_before_away=3)
    core.official_changed(official("ana", idle_since=0), at(0))
    core.official_changed(official("beto", idle_since=1), at(1))
    core.item_arrived(item("first", enqueued=2), at(2))
    core.item_arrived(item("second", enqueued=3), at(3))
    core.offer("first", "ana", at(4))
    assert core.match_official("beto", at(4)) == "second"

    missed = core.reject("first", at(5))

    assert missed.official_set_away is False
    assert core.items["first"].status is ItemStatus.WAITING
    assert core.match_official("beto", at(5)) == "first"
    assert core.officials["ana"].load[Channel.CHAT] == 0


def test_consecutive_missed_offers_set_the_official_away() -> None:
    core = make_core(missed_offers_before_away=2)
    core.official_changed(official("ana", chat=2), at(0))
    for n in range(3):
        core.item_arrived(item(f"chat-{n}", enqueued=n), at(n))

    core.offer("chat-0", "ana", at(3))
    assert core.timeout("chat-0", at(4)).official_set_away is False
    core.offer("chat-0", "ana", at(4))
    core.accept("chat-0", at(5))  # an accepted offer ends the streak
    core.offer("chat-1", "ana", at(6))
    assert core.reject("chat-1", at(7)).official_set_away is False
    core.offer("chat-1", "ana", at(8))
    missed = core.timeout("chat-1", at(9))

    assert missed.official_set_away is True
    assert missed.missed_in_a_row == 2
    assert core.officials["ana"].presence is Presence.AWAY
    assert core.officials["ana"].away_reason == MISSED_OFFER_REASON
    assert core.match_item("chat-1", at(9)) is None


def test_coming_back_from_away_starts_the_missed_streak_over() -> None:
    core = make_core(missed_offers_before_away=2)
    core.official_changed(official("ana"), at(0))
    core.item_arrived(item("chat-0"), at(0))
    core.offer("chat-0", "ana", at(1))
    core.timeout("chat-0", at(2))
    core.official_changed(official("ana", presence=Presence.AWAY), at(3))
    core.official_changed(official("ana"), at(4))

    assert core.officials["ana"].missed_offers == 0


def test_completing_frees_capacity_after_wrap_up_and_restarts_idle_time() -> None:
    core = make_core(QueueConfig(queue_id="tramites", wrap_up_seconds=30))
    core.official_changed(official("ana", idle_since=0), at(0))
    core.official_changed(official("beto", idle_since=5), at(5))
    core.item_arrived(item("chat-0", enqueued=10), at(10))
    core.offer("chat-0", "ana", at(10))
    core.accept("chat-0", at(11))
    core.complete("chat-0", at(100))
    core.item_arrived(item("chat-1", enqueued=100), at(100))

    assert core.next_step_at() == at(130)
    assert core.match_official("ana", at(129)) is None
    assert core.step_timer(at(130)) == [WrapUpEnded("ana", at(130))]
    assert core.match_official("ana", at(130)) == "chat-1"
    assert core.match_item("chat-1", at(130)) == "beto"  # idle since 5, ana only since 130
    assert core.officials["ana"].load[Channel.CHAT] == 0


def test_a_caller_hanging_up_during_an_offer_releases_it_without_a_miss() -> None:
    core = make_core()
    core.official_changed(official("ana"), at(0))
    core.item_arrived(item("call-0", channel=Channel.VOICE), at(0))
    core.official_changed(official("ana", voice=1), at(0))
    core.offer("call-0", "ana", at(1))

    core.item_removed("call-0", at(2))

    ana = core.officials["ana"]
    assert (ana.load[Channel.VOICE], ana.missed_offers, ana.presence) == (0, 0, Presence.AVAILABLE)
    assert "call-0" not in core.items


def test_a_database_snapshot_keeps_the_offers_in_flight() -> None:
    core = make_core()
    core.official_changed(official("ana", chat=3), at(0))
    core.item_arrived(item("chat-0"), at(0))
    core.offer("chat-0", "ana", at(1))

    core.official_changed(official("ana", chat=3, load={Channel.CHAT: 1}), at(2))

    assert core.officials["ana"].load[Channel.CHAT] == 2


def test_offers_that_break_the_rules_are_refused() -> None:
    core = make_core()
    core.official_changed(official("ana", {"tramites": 1}), at(0))
    core.official_changed(official("beto", presence=Presence.AWAY), at(0))
    core.official_changed(official("carla"), at(0))
    core.item_arrived(item("chat-0"), at(0))

    codes = []
    for who in ["ana", "beto"]:
        with pytest.raises(Conflict) as refused:
            core.offer("chat-0", who, at(1))
        codes.append(refused.value.code)
    core.offer("chat-0", "carla", at(1))
    with pytest.raises(Conflict) as twice:
        core.offer("chat-0", "carla", at(1))
    with pytest.raises(NotFound):
        core.item_arrived(item("x", "no-such-queue"), at(1))

    assert codes == ["routing.official_not_skilled", "routing.official_not_ready"]
    assert twice.value.code == "routing.item_not_waiting"


def test_an_official_with_work_in_hand_cannot_be_forgotten() -> None:
    core = make_core()
    core.official_changed(official("ana"), at(0))
    core.official_changed(official("beto"), at(0))
    core.item_arrived(item("chat-0"), at(0))
    core.offer("chat-0", "ana", at(1))

    with pytest.raises(Conflict):
        core.official_removed("ana", at(2))
    core.official_removed("beto", at(2))

    assert sorted(core.officials) == ["ana"]
    assert core.problems() == []


@pytest.mark.parametrize("strategy", ["items", "officials"])
def test_drain_matches_the_brute_force_greedy_assignment(strategy: DrainStrategy) -> None:
    queues = (
        relaxing_queue(),
        QueueConfig(
            queue_id="impuestos",
            required_skills={"impuestos": 6},
            priority=5,
            steps=(OverflowStep(after_seconds=40, target_queue_id="tramites"),),
        ),
    )
    cores = [make_core(*queues), make_core(*queues)]
    for core in cores:
        for n, skills in enumerate(
            [
                {"tramites": 8, "idioma_ingles": 6},
                {"impuestos": 7},
                {"tramites": 4, "idioma_ingles": 5},
            ]
        ):
            core.official_changed(official(f"o{n}", skills, idle_since=n, chat=2), at(0))
        for n in range(8):
            queue_id = "impuestos" if n % 3 == 0 else "tramites"
            core.item_arrived(item(f"i{n}", queue_id, enqueued=n), at(n))
    fast, slow = cores

    made = [(o.item_id, o.official_id) for o in fast.drain(at(45), strategy)]
    assert made == [(o.item_id, o.official_id) for o in naive_drain(slow, at(45))]
    assert len(made) == 5
    for official_id in fast.officials:
        assert fast.match_official(official_id, at(45)) == naive_match_official(fast, official_id, at(45))
    for item_id in fast.items:
        assert fast.match_item(item_id, at(45)) == naive_match_item(fast, item_id, at(45))
