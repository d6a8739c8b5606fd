"""Random programs of arrivals, presence changes, accepts, rejects, completions and time-outs run
through TWO router engines (separate pools = two processes) on the real PostgreSQL, with passes of
both engines racing each other; after every step the database is checked:

* no official above capacity on any channel;
* no item offered or assigned to two officials at once (exactly one outstanding offer per offered item);
* after a sweep, no outstanding offer past its expiry;
* once both engines settle, no waiting item while an eligible official is free.

One engine is killed mid-way (dropped without cleanup): its offers expire and the other re-offers.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from contact_center.core.clock import FakeClock
from contact_center.core.db.engine import create_engine, session_factory
from contact_center.core.db.models import Official
from contact_center.core.db.routing_models import RoutingOffer, WorkItem
from contact_center.core.errors import DomainError
from contact_center.core.officials import Presence
from contact_center.core.uow import UnitOfWorkFactory
from contact_center.seed import seed_demo
from routing.bus import RoutingNotifier
from routing.engine import RoutingEngine
from routing.service import ItemChannel, NewWorkItem
from tests.conftest import START
from tests.integration import router_processes as rp
from tests.integration.router_support import OfferFlag, new_conversation
from tests.support import services

ACTIONS = ("arrive", "arrive", "presence", "accept", "accept", "reject", "complete", "expire", "race", "race")
PRESENCES = (Presence.AVAILABLE, Presence.AVAILABLE, Presence.AWAY, Presence.OFFLINE, Presence.BUSY)
Step = tuple[str, int, int]
step = st.tuples(st.sampled_from(ACTIONS), st.integers(0, 1_000), st.integers(0, 1))


@pytest.fixture(scope="module")
def pg(pg_url: str) -> str:
    return pg_url


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(program=st.lists(step, min_size=15, max_size=30), kill_at=st.integers(5, 14))
def test_two_engines_never_break_the_rules(pg: str, program: list[Step], kill_at: int) -> None:
    services.run_sync(services.truncate_all(pg.replace("+asyncpg", "")))
    services.run_sync(_run(pg, program, kill_at))


async def _run(url: str, program: list[Step], kill_at: int) -> None:
    clock = FakeClock(START)
    cluster = rp.Cluster()
    a = rp.start_process(cluster, url, clock, "a")
    b = rp.start_process(cluster, url, clock, "b")
    async with a.uow() as uow:
        await seed_demo(uow)
    async with a.uow() as uow:
        await rp.set_tunables(uow, offer_seconds=20, misses=3, wrap_up=0)
        await uow.commit()
    officials = await _officials(a)
    try:
        for oid in officials[:4]:
            await _presence(a, oid, Presence.AVAILABLE)
        await asyncio.gather(a.engine.process(), b.engine.process())
        for n, (action, pick, who) in enumerate(program):
            if n == kill_at:
                await _kill(cluster, b)
            p = cluster.alive()[who % len(cluster.alive())]
            await _apply(p, cluster, clock, action, pick, officials)
            await _check(p, swept=action == "expire")
        await _settle(cluster, clock)
        await _check(a, swept=True, settled=True)
    finally:
        for p in cluster.processes:
            await p.db.dispose()


async def _officials(p: rp.Process) -> list[int]:
    async with p.uow() as uow:
        return list(await uow.session.scalars(select(Official.id).order_by(Official.id)))


async def _presence(p: rp.Process, official: int, state: Presence) -> None:
    async with p.uow() as uow:
        await p.router.set_presence(uow, official, state, "prueba" if state is Presence.AWAY else None)
        await uow.commit()


async def _kill(cluster: rp.Cluster, victim: rp.Process) -> None:
    """The process dies: no stop(), no cleanup; its pool just goes away."""
    await victim.engine.process()  # it had just made offers...
    victim.alive = False
    await victim.db.dispose()


async def _apply(
    p: rp.Process, cluster: rp.Cluster, clock: FakeClock, action: str, pick: int, officials: list[int]
) -> None:
    rng = random.Random(pick)
    try:
        if action == "arrive":
            await _arrive(p, rng)
        elif action == "presence":
            await _presence(p, rng.choice(officials), rng.choice(PRESENCES))
        elif action in ("accept", "reject"):
            await _decide(p, rng, action)
        elif action == "complete":
            await _complete(p, rng)
        elif action == "expire":
            clock.advance(seconds=21)
            await p.engine.sweep()
        else:
            # Both engines decide at once on caches that may miss each other's latest changes.
            await asyncio.gather(*(q.engine.process() for q in cluster.alive()))
            cluster.deliver()
    except DomainError:
        pass  # a refused command (e.g. the offer was just resolved by the other process) changes nothing


async def _arrive(p: rp.Process, rng: random.Random) -> None:
    channels: tuple[ItemChannel, ...] = ("chat", "chat", "voice")
    channel = rng.choice(channels)
    async with p.uow() as uow:
        conversation = await new_conversation(uow, channel)
        item = NewWorkItem(
            kind="conversation", queue_code="atencion_general", channel=channel, conversation_id=conversation
        )
        await p.router.enqueue(uow, item)
        await uow.commit()


async def _decide(p: rp.Process, rng: random.Random, action: str) -> None:
    async with p.uow() as uow:
        offers = list(
            await uow.session.scalars(
                select(RoutingOffer).where(RoutingOffer.status == "offered").order_by(RoutingOffer.id)
            )
        )
        if not offers:
            return
        offer = rng.choice(offers)
        if action == "accept":
            await p.router.accept(uow, offer.id, offer.official_id)
        else:
            await p.router.reject(uow, offer.id, offer.official_id)
        await uow.commit()


async def _complete(p: rp.Process, rng: random.Random) -> None:
    async with p.uow() as uow:
        items = list(
            await uow.session.scalars(
                select(WorkItem).where(WorkItem.status == "assigned").order_by(WorkItem.id)
            )
        )
        if not items:
            return
        item = rng.choice(items)
        assert item.official_id is not None
        await p.router.complete(uow, item.id, item.official_id)
        await uow.commit()


async def _settle(cluster: rp.Cluster, clock: FakeClock) -> None:
    for _ in range(3):
        cluster.deliver()
        await asyncio.gather(*(p.engine.process() for p in cluster.alive()))


async def _check(p: rp.Process, *, swept: bool, settled: bool = False) -> None:
    async with p.uow() as uow:
        problems: list[Any] = [*await rp.capacity_problems(uow), *await rp.reservation_problems(uow)]
        if swept:
            assert await rp.expired_outstanding(uow) == 0
        if settled:
            problems.extend(await rp.stranded(uow))
    assert problems == []


async def test_a_dead_engines_offers_expire_and_the_other_engine_offers_them_again(pg: str) -> None:
    await services.truncate_all(pg.replace("+asyncpg", ""))
    clock = FakeClock(START)
    cluster = rp.Cluster()
    a = rp.start_process(cluster, pg, clock, "a")
    b = rp.start_process(cluster, pg, clock, "b")
    try:
        async with a.uow() as uow:
            await seed_demo(uow)
        async with a.uow() as uow:
            await rp.set_tunables(uow, offer_seconds=20, misses=5, wrap_up=0)
            await uow.commit()
        officials = await _officials(a)
        await b.engine.process()
        for oid in officials[1:4]:
            await _presence(b, oid, Presence.AVAILABLE)
        for _ in range(3):
            await _arrive(b, random.Random(1))
        b.alive = False  # b's own wake-ups no longer reach a: it made the offers alone
        assert await b.engine.process() == 3
        await b.db.dispose()  # ...and dies with them outstanding
        clock.advance(seconds=21)
        await a.engine.sweep()
        async with a.uow() as uow:
            statuses = list(await uow.session.scalars(select(RoutingOffer.status).order_by(RoutingOffer.id)))
        assert statuses[:3] == ["timed_out"] * 3 and statuses[3:] == ["offered"] * 3
        await _check(a, swept=True, settled=True)
    finally:
        for p in cluster.processes:
            await p.db.dispose()


async def test_a_change_committed_in_one_process_wakes_the_engine_of_another_through_notify(pg: str) -> None:
    await services.truncate_all(pg.replace("+asyncpg", ""))
    clock = FakeClock(START)
    cluster = rp.Cluster()
    writer = rp.start_process(cluster, pg, clock, "writer")  # a web process whose engine is not running
    db = create_engine(pg, pool_size=2)
    offered = asyncio.Event()
    uow = UnitOfWorkFactory(session_factory(db), RoutingNotifier(OfferFlag(offered)), clock)
    engine = RoutingEngine(uow, listen_dsn=pg.replace("+asyncpg", ""), origin="listener")
    try:
        async with writer.uow() as w:
            await seed_demo(w)
        await engine.start()
        officials = await _officials(writer)
        await _presence(writer, officials[2], Presence.AVAILABLE)
        await _arrive(writer, random.Random(3))
        await asyncio.wait_for(offered.wait(), 10)  # nothing but the NOTIFY can wake that engine
        async with writer.uow() as w:
            assert list(await w.session.scalars(select(RoutingOffer.official_id))) == [officials[2]]
    finally:
        await engine.stop()
        await db.dispose()
        await writer.db.dispose()
