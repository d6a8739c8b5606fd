"""Random event streams against the routing core, checked after every step.

The invariants: no official above capacity on any channel, no item offered to two officials, every
offered or assigned item held by exactly one official, indexes equal to the records, and every
decision equal to the brute-force reference (`routing.naive`), which derives stages and overflows
from the wait instead of from the fired timers.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from routing.core import (
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
    WorkItem,
)
from routing.core.router import DrainStrategy
from routing.naive import naive_drain, naive_match_item, naive_match_official
from routing.priority import Art20Flag, LegalUrgency

T0 = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
OFFICIAL_IDS = [f"o{n}" for n in range(6)]
SKILLS = ["catastro", "impuestos", "movilidad"]

CONFIG = RoutingConfig(
    queues=(
        QueueConfig(
            queue_id="catastro",
            required_skills={"catastro": 6, "impuestos": 4},
            wrap_up_seconds=5,
            steps=(
                RelaxStep(after_seconds=20, to_level=3),
                OverflowStep(after_seconds=40, target_queue_id="movilidad"),
                RelaxStep(after_seconds=60, to_level=1),
                CallbackStep(after_seconds=90),
            ),
        ),
        QueueConfig(
            queue_id="movilidad",
            required_skills={"movilidad": 5},
            priority=10,
            steps=(RelaxStep(after_seconds=30, to_level=2),),
        ),
        QueueConfig(
            queue_id="general",
            priority=-5,
            steps=(OverflowStep(after_seconds=15, target_queue_id="catastro"),),
        ),
    ),
    missed_offers_before_away=2,
)

skill_sets = st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 10), max_size=3)
urgencies = st.none() | st.builds(
    LegalUrgency,
    flags=st.frozensets(st.sampled_from(list(Art20Flag)), max_size=2),
    business_days_left=st.none() | st.integers(-2, 15),
    fraction_elapsed=st.none() | st.floats(0, 1.2),
)


class RoutingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.core = RoutingCore(CONFIG)
        self.now = T0
        self.arrived = 0

    # Time and presence ----------------------------------------------------------------------

    @rule(seconds=st.integers(0, 50) | st.sampled_from([15, 20, 30, 40, 60, 90]))
    def time_passes(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)
        self.core.step_timer(self.now)
        due = self.core.next_step_at()
        assert due is None or due > self.now

    @rule(
        official_id=st.sampled_from(OFFICIAL_IDS),
        skills=skill_sets,
        presence=st.sampled_from(list(Presence)),
        extra_capacity=st.lists(st.integers(0, 2), min_size=4, max_size=4),
        idle_for=st.integers(0, 100),
        wrap_up_for=st.none() | st.integers(-5, 30),
    )
    def official_changed(
        self,
        official_id: str,
        skills: dict[str, int],
        presence: Presence,
        extra_capacity: list[int],
        idle_for: int,
        wrap_up_for: int | None,
    ) -> None:
        accepted = self._accepted_load(official_id)
        current = self.core.officials.get(official_id)
        offered = current.offered if current is not None else dict.fromkeys(Channel, 0)
        # The database never lets capacity fall below the work in hand here; lowering it below
        # the load is covered by a unit test.
        capacity = {
            channel: accepted[channel] + offered[channel] + extra
            for channel, extra in zip(Channel, extra_capacity, strict=True)
        }
        wrap_up = None if wrap_up_for is None else self.now + timedelta(seconds=wrap_up_for)
        snapshot = OfficialSnapshot(
            official_id=official_id,
            skills=skills,
            capacity=capacity,
            load=accepted,
            presence=presence,
            wrap_up_until=wrap_up,
            idle_since=self.now - timedelta(seconds=idle_for),
        )
        self.core.official_changed(snapshot, self.now)

    # Items --------------------------------------------------------------------------------------

    @rule(
        queue_id=st.sampled_from(["catastro", "movilidad", "general"]),
        channel=st.sampled_from(list(Channel)),
        waited=st.integers(0, 100),
        priority=st.integers(-3, 3),
        urgency=urgencies,
    )
    def item_arrives(
        self,
        queue_id: str,
        channel: Channel,
        waited: int,
        priority: int,
        urgency: LegalUrgency | None,
    ) -> None:
        self.arrived += 1
        item = WorkItem(
            item_id=f"i{self.arrived}",
            queue_id=queue_id,
            channel=channel,
            enqueued_at=self.now - timedelta(seconds=waited),
            priority=priority,
            urgency=urgency,
        )
        self.core.item_arrived(item, self.now)

    @precondition(lambda self: self.core.items)
    @rule(data=st.data())
    def item_removed(self, data: st.DataObject) -> None:
        item_id = data.draw(st.sampled_from(sorted(self.core.items)))
        self.core.item_removed(item_id, self.now)

    @precondition(lambda self: self.core.items)
    @rule(data=st.data(), urgency=urgencies)
    def urgency_changes(self, data: st.DataObject, urgency: LegalUrgency | None) -> None:
        item_id = data.draw(st.sampled_from(sorted(self.core.items)))
        self.core.item_urgency_changed(item_id, urgency, self.now)

    # Decisions and offers ---------------------------------------------------------------------

    @precondition(lambda self: self.core.officials)
    @rule(data=st.data(), make_offer=st.booleans())
    def official_freed(self, data: st.DataObject, make_offer: bool) -> None:
        official_id = data.draw(st.sampled_from(sorted(self.core.officials)))
        chosen = self.core.match_official(official_id, self.now)
        assert chosen == naive_match_official(self.core, official_id, self.now)
        if chosen is not None and make_offer:
            self.core.offer(chosen, official_id, self.now)

    @precondition(lambda self: self._with_status(ItemStatus.WAITING))
    @rule(data=st.data(), make_offer=st.booleans())
    def item_seeks_official(self, data: st.DataObject, make_offer: bool) -> None:
        item_id = data.draw(st.sampled_from(self._with_status(ItemStatus.WAITING)))
        chosen = self.core.match_item(item_id, self.now)
        assert chosen == naive_match_item(self.core, item_id, self.now)
        if chosen is not None and make_offer:
            self.core.offer(item_id, chosen, self.now)

    @rule(strategy=st.sampled_from(["auto", "items", "officials"]))
    def drain(self, strategy: DrainStrategy) -> None:
        twin = copy.deepcopy(self.core)
        made = self.core.drain(self.now, strategy)
        expected = naive_drain(twin, self.now)
        assert [(o.item_id, o.official_id) for o in made] == [(o.item_id, o.official_id) for o in expected]

    @precondition(lambda self: self._with_status(ItemStatus.OFFERED))
    @rule(data=st.data(), outcome=st.sampled_from(["accept", "reject", "timeout"]))
    def offer_resolved(self, data: st.DataObject, outcome: str) -> None:
        item_id = data.draw(st.sampled_from(self._with_status(ItemStatus.OFFERED)))
        official_id = self.core.items[item_id].official_id
        assert official_id is not None
        if outcome == "accept":
            self.core.accept(item_id, self.now)
            return
        missed = getattr(self.core, outcome)(item_id, self.now)
        assert self.core.items[item_id].status is ItemStatus.WAITING
        if missed.official_set_away:
            assert self.core.officials[official_id].presence is Presence.AWAY

    @precondition(lambda self: self._with_status(ItemStatus.ASSIGNED))
    @rule(data=st.data(), wrap_up=st.none() | st.integers(0, 20))
    def work_completed(self, data: st.DataObject, wrap_up: int | None) -> None:
        item_id = data.draw(st.sampled_from(self._with_status(ItemStatus.ASSIGNED)))
        self.core.complete(item_id, self.now, wrap_up)

    # Invariants -------------------------------------------------------------------------------

    @invariant()
    def nobody_above_capacity(self) -> None:
        for official in self.core.officials.values():
            for channel in Channel:
                assert official.load[channel] <= official.capacity[channel]

    @invariant()
    def every_reserved_item_has_exactly_one_official(self) -> None:
        holders: dict[str, list[str]] = {}
        for official in self.core.officials.values():
            for item_id in official.item_ids:
                holders.setdefault(item_id, []).append(official.official_id)
        for item in self.core.items.values():
            if item.status is ItemStatus.WAITING:
                assert item.item_id not in holders
            else:
                assert holders.get(item.item_id) == [item.official_id]

    @invariant()
    def indexes_agree_with_records(self) -> None:
        assert self.core.problems() == []

    @invariant()
    def every_decision_equals_the_brute_force_one(self) -> None:
        for official_id in self.core.officials:
            expected = naive_match_official(self.core, official_id, self.now)
            assert self.core.match_official(official_id, self.now) == expected
        for item_id in self.core.items:
            expected = naive_match_item(self.core, item_id, self.now)
            assert self.core.match_item(item_id, self.now) == expected

    # Helpers ----------------------------------------------------------------------------------

    def _with_status(self, status: ItemStatus) -> list[str]:
        return sorted(i.item_id for i in self.core.items.values() if i.status is status)

    def _accepted_load(self, official_id: str) -> dict[Channel, int]:
        load = dict.fromkeys(Channel, 0)
        for item in self.core.items.values():
            if item.status is ItemStatus.ASSIGNED and item.official_id == official_id:
                load[item.channel] += 1
        return load


RoutingMachine.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_routing_core_matches_the_reference_under_random_events = RoutingMachine.TestCase
