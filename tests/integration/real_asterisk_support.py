"""Fixtures for the tests against a real Asterisk (`tests/support/real_asterisk.py`).

One Asterisk per test module (started in about 0.3 s, calls hung up between tests), one app per test
(both database engines): the app's FastAGI server on the module's AGI port, its AMI client logged in
as the sample manager.conf's user, queue members as Local channels through the sample's [agentes]
context (`ASTERISK_MEMBER_INTERFACE=Local/official-{id}@agentes`). The tests place calls with AMI
Originate of Local channels and press keys with PlayDTMF on the caller's leg.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from channels.asterisk.install import ASTERISK
from contact_center.core.config import Settings
from contact_center.core.db.models import Conversation
from contact_center.core.http.keys import UOW
from tests.conftest import AppFactory
from tests.support.ami_driver import AmiDriver, Message
from tests.support.chat_clients import close_all, seed_before_start
from tests.support.real_asterisk import TEST_SECRET, TEST_USER, Ports, RealAsterisk, build, free_port

MEMBER_TEMPLATE = "Local/official-{id}@agentes"
AMI_USER, AMI_SECRET = "pasto195", "cambie-esta-clave"  # samples/manager.conf, as shipped


@pytest.fixture(scope="session")
def asterisk_prefix() -> Any:
    return build()


@pytest.fixture(scope="module")
def asterisk(asterisk_prefix: Any) -> Iterator[RealAsterisk]:
    server = RealAsterisk(asterisk_prefix, Ports(ami=free_port(), agi=free_port()))
    server.start()
    yield server
    server.cleanup()


@pytest.fixture
async def ami(asterisk: RealAsterisk) -> AsyncIterator[AmiDriver]:
    if asterisk.proc is None or asterisk.proc.poll() is not None:
        asterisk.start()  # a test that stopped it for good
    driver = await AmiDriver(asterisk.ports.ami, TEST_USER, TEST_SECRET).connect()
    yield driver
    await driver.close()
    if asterisk.proc is not None and asterisk.proc.poll() is None:  # a test may have restarted it
        asterisk.cli("channel request hangup all")
        await asyncio.sleep(0.3)  # the hang-ups reach the app's AGI sessions and mirror


def line_settings(
    make_settings: Callable[..., Settings], asterisk: RealAsterisk, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        "ami_host": "127.0.0.1", "ami_port": asterisk.ports.ami, "ami_username": AMI_USER,
        "ami_secret": AMI_SECRET, "agi_host": "127.0.0.1", "agi_port": asterisk.ports.agi,
        "asterisk_member_interface": MEMBER_TEMPLATE,
        "asterisk_recording_dir": make_settings().data_dir.parent / "recordings", **overrides,
    }  # fmt: skip
    return make_settings(**values)


@pytest.fixture
async def line(
    backend: str, asterisk: RealAsterisk, ami: AmiDriver, make_client: AppFactory,
    make_settings: Callable[..., Settings],
) -> AsyncIterator[TestClient[Any, Any]]:  # fmt: skip
    settings = line_settings(make_settings, asterisk)
    await seed_before_start(settings)
    client = await make_client(settings)
    link = client.app[ASTERISK].ami
    assert link is not None
    await link.wait_connected(10.0)
    yield client
    await close_all()


async def conversation(line: TestClient[Any, Any], linkedid: str) -> Conversation | None:
    async with line.app[UOW]() as uow:
        found = await uow.session.scalar(select(Conversation).where(Conversation.external_id == linkedid))
        if found is not None:
            uow.session.expunge(found)
        return found


async def eventually(check: Callable[[], Awaitable[Any]], within: float = 10.0, every: float = 0.1) -> Any:
    """The first truthy result of `check`, polled until `within` seconds have passed."""
    async with asyncio.timeout(within):
        while not (result := await check()):  # noqa: ASYNC110  (the state lives in the database)
            await asyncio.sleep(every)
        return result


def agi_commands(ami: AmiDriver, channel: str) -> list[str]:
    """The AGI commands Asterisk ran for the call's IVR leg, in order (AGIExecStart events)."""
    return [m.get("Command", "") for m in ami.named("AGIExecStart", lambda m: m.get("Channel") == channel)]


def ivr_leg(caller: Message) -> str:
    """The IVR side of an originated Local call: `Local/195@entrante-195-x;1` -> `...;2`."""
    return caller["Channel"].removesuffix(";1") + ";2"


async def prompt_playing(ami: AmiDriver, leg: str, starts: str, within: float = 20.0) -> str:
    """The generated prompt (its path) whose text starts with `starts`, once STREAM FILE plays it."""
    from channels.asterisk.prompts import spoken_text

    def plays(message: Message) -> bool:
        command = message.get("Command", "")
        if message.get("Channel") != leg or not command.startswith("STREAM FILE"):
            return False
        path = command.split('"')[1]
        return (spoken_text(path) or "").startswith(starts)

    found = await ami.wait_for("AGIExecStart", plays, within=within)
    return found["Command"].split('"')[1]


async def to_the_queue(ami: AmiDriver, caller_id: str) -> Message:
    """A caller who dials 195 and presses 0 (an official) during the welcome prompt (the menu
    follows in the same turn, so the key is kept for it); once in app_queue."""
    caller = await ami.call(caller_id)
    leg = ivr_leg(caller)
    await prompt_playing(ami, leg, "Gracias por llamar")
    await ami.press(caller["Channel"], "0")
    await ami.wait_for("QueueCallerJoin", lambda m: m.get("Channel") == leg)
    return caller


async def hang_up_officials_phone(ami: AmiDriver, official_id: int) -> None:
    """The official hangs up their phone (the test stand-in's channel)."""
    pattern = f"/^Local\\/official-{official_id}@telefonos-prueba-.*;2$/"
    reply = await ami.action({"Action": "Hangup", "Channel": pattern, "Cause": "16"})
    assert reply.get("Response") == "Success", reply


def heard(asterisk: RealAsterisk, leg: str, sound: str) -> bool:
    """Whether Asterisk played `sound` to the channel (its verbose log: `<leg> Playing 'sound...`)."""
    log = (asterisk.root / "log" / "messages.log").read_text(errors="replace")
    return any(f"<{leg}> Playing '{sound}" in line for line in log.splitlines())


async def answered(line: TestClient[Any, Any], linkedid: str) -> Conversation:
    """The conversation once the AMI mirror has applied app_queue's AgentConnect to it."""

    async def active() -> Conversation | None:
        found = await conversation(line, linkedid)
        return found if found is not None and found.state == "active" and found.official_id else None

    found: Conversation = await eventually(active)
    return found


async def ended(line: TestClient[Any, Any], linkedid: str) -> Conversation:
    async def done() -> Conversation | None:
        found = await conversation(line, linkedid)
        return found if found is not None and found.ended_at is not None else None

    found: Conversation = await eventually(done)
    return found
