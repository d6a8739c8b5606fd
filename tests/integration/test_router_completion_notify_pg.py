"""A completion committed in one process tells every other process's engine the official's new
state: its NOTIFY carries the row as committed (a presence hint with the freed slot), so the other
engines offer without reading the official first, and one of them does offer the next item."""

from __future__ import annotations

import asyncio

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import select

from contact_center.core.clock import FakeClock
from contact_center.core.db.engine import create_engine, session_factory
from contact_center.core.db.models import Official
from contact_center.core.db.routing_models import RoutingOffer, WorkItem
from contact_center.core.officials import Presence
from contact_center.core.uow import UnitOfWorkFactory
from contact_center.seed import seed_demo
from routing import bus
from routing.bus import RoutingNotifier
from routing.engine import RoutingEngine
from routing.service import NewWorkItem
from tests.conftest import START
from tests.integration import router_processes as rp
from tests.integration.router_support import OfferFlag, new_conversation
from tests.support import services


async def test_a_completion_hands_the_official_row_to_the_other_processes(pg_url: str) -> None:
    dsn = pg_url.replace("+asyncpg", "")
    await services.truncate_all(dsn)
    clock = FakeClock(START)
    writer = rp.start_process(rp.Cluster(), pg_url, clock, "writer")  # its engine runs only when told
    heard: asyncio.Queue[str] = asyncio.Queue()
    listening = await asyncpg.connect(dsn)
    await listening.add_listener(bus.CHANNEL, lambda *args: heard.put_nowait(args[-1]))
    db = create_engine(pg_url, pool_size=2)
    offered = asyncio.Event()
    other = RoutingEngine(
        UnitOfWorkFactory(session_factory(db), RoutingNotifier(OfferFlag(offered)), clock),
        listen_dsn=dsn,
        origin="other",
    )
    try:
        async with writer.uow() as uow:
            await seed_demo(uow)
            official = (await uow.session.scalars(select(Official.id).order_by(Official.id))).all()[2]
            await writer.router.set_presence(uow, official, Presence.AVAILABLE)
            await uow.commit()
        await _arrive(writer)
        await writer.engine.process()
        async with writer.uow() as uow:
            offer = (await uow.session.scalars(select(RoutingOffer))).one()
            assignment = await writer.router.accept(uow, offer.id, official)
            await uow.commit()
        await _arrive(writer)  # waits: the demo official takes one chat at a time
        await other.start()
        while not heard.empty():
            heard.get_nowait()

        async with writer.uow() as uow:
            await writer.router.complete(uow, assignment.work_item_id, official)
            await uow.commit()

        change = bus.parse(await asyncio.wait_for(heard.get(), 10))
        while change.origin != "writer":  # the other engine's own announcements go by too
            change = bus.parse(await asyncio.wait_for(heard.get(), 10))
        async with writer.uow() as uow:
            row = await uow.session.get(Official, official)
            assert row is not None
            committed = bus.PresenceHint(
                official, "available", None, row.wrap_up_until, row.idle_since or START, freed=("chat",)
            )
        assert change.officials == (official,) and change.origin == "writer"
        assert change.hints == (committed,)
        await asyncio.wait_for(offered.wait(), 10)  # only that NOTIFY can wake the other engine
        async with writer.uow() as uow:
            waiting = await uow.session.scalar(select(WorkItem.status).order_by(WorkItem.id.desc()))
            assert waiting == "offered"
    finally:
        await other.stop()
        await listening.close()
        await db.dispose()
        await writer.db.dispose()


async def _arrive(p: rp.Process) -> None:
    async with p.uow() as uow:
        conversation = await new_conversation(uow, "chat")
        item = NewWorkItem(
            kind="conversation", queue_code="atencion_general", channel="chat", conversation_id=conversation
        )
        await p.router.enqueue(uow, item)
        await uow.commit()
