"""Starts the Asterisk side of the 195 line when configured: the FastAGI server running the IVR
(AGI_PORT set) and the AMI client feeding the mirror (AMI_HOST set), with their background rounds."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import web

from channels.asterisk.agi import AgiServer
from channels.asterisk.ami import AmiClient
from channels.asterisk.call_control import AmiCallControl
from channels.asterisk.config import AgiConfig, AmiConfig
from channels.asterisk.interfaces import DEFAULT, MemberInterface
from channels.asterisk.ivr_runner import AsteriskIvr
from channels.asterisk.members import reconcile_members
from channels.asterisk.mirror import AmiMirror, callback_action_id
from channels.asterisk.prompts import PromptVoice
from contact_center.core.config import Settings
from contact_center.core.http.keys import SETTINGS, UOW
from ivr.line import VOICE_LINE

log = logging.getLogger(__name__)
MEMBERS_ROUND_SECONDS = 5.0


@dataclass
class AsteriskLine:
    agi: AgiServer | None
    ami: AmiClient | None
    mirror: AmiMirror | None
    interfaces: MemberInterface = DEFAULT


ASTERISK = web.AppKey("asterisk_line", AsteriskLine)


def wants_asterisk(settings: Settings) -> bool:
    return settings.ami_host is not None or "agi_port" in settings.model_fields_set


async def asterisk_lifetime(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    if not wants_asterisk(settings):
        yield
        return
    agi = None
    interfaces = MemberInterface(settings.asterisk_member_interface)
    if "agi_port" in settings.model_fields_set:
        handler = AsteriskIvr(
            app[VOICE_LINE].host, app[UOW], spool=str(settings.asterisk_recording_dir),
            interfaces=interfaces, hold_music=settings.asterisk_hold_music_class,
            voice=PromptVoice(settings.data_dir / "prompts"),
        )  # fmt: skip
        agi = AgiServer(AgiConfig(host=settings.agi_host, port=settings.agi_port), handler)
        await agi.start()
    ami, mirror, tasks = None, None, []
    if settings.ami_host:
        line = app[VOICE_LINE]
        mirror = AmiMirror(app[UOW], queue=line.queue, callbacks=line.callbacks, interfaces=interfaces)
        user, secret = settings.ami_username or "", settings.ami_secret or ""
        config = AmiConfig(host=settings.ami_host, port=settings.ami_port, username=user, secret=secret)
        ami = AmiClient(config, on_reconnected=mirror.resync)
        ami.subscribe(mirror)
        await ami.start()
        tasks = [asyncio.create_task(mirror.run_flusher(), name="ami-mirror-flush"),
                 asyncio.create_task(_members_rounds(app, ami, interfaces), name="ami-members")]  # fmt: skip
    app[ASTERISK] = AsteriskLine(agi, ami, mirror, interfaces)
    yield
    for task in tasks:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    if ami is not None:
        await ami.close()
    if agi is not None:
        await agi.close()


async def _members_rounds(app: web.Application, ami: AmiClient, interfaces: MemberInterface) -> None:
    while True:
        await asyncio.sleep(MEMBERS_ROUND_SECONDS)
        if not ami.connected:
            continue
        try:
            await reconcile_members(ami, app[UOW], interfaces)
        except Exception:  # the link dropped mid-round: the resync after the reconnect catches up
            log.exception("ami_members_round_failed")


class AmiDialer:
    """Callbacks on Asterisk: Originate to the citizen, then bridge to the accepting official."""

    def __init__(self, ami: AmiClient, interfaces: MemberInterface) -> None:
        self.ami = ami
        self.interfaces = interfaces

    async def call_back(self, number: str, official_id: int, conversation_id: int) -> str:
        national = number.removeprefix("+57")
        return await self.ami.originate(
            f"Local/{national}@callbacks", context="callback-conectado", exten="s",
            variables={"OFFICIAL_INTERFACE": self.interfaces.of(official_id),
                       "CONVERSATION_ID": str(conversation_id)},
            action_id=callback_action_id(conversation_id),
        )  # fmt: skip


def asterisk_dialer(app: web.Application) -> AmiDialer | None:
    line = app.get(ASTERISK)
    return AmiDialer(line.ami, line.interfaces) if line is not None and line.ami is not None else None


def asterisk_control(app: web.Application) -> AmiCallControl | None:
    line = app.get(ASTERISK)
    return AmiCallControl(line.ami, line.interfaces) if line is not None and line.ami is not None else None
