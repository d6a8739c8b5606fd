"""A real local SMTP server (aiosmtpd) for the e-mail tests: an inbox that keeps what it accepts, started
when the test says so (an outage is a server not started yet).

A test module takes the fixtures it uses by name, `start_smtp = mail_support.start_smtp`, with
`smtp_port` beside any fixture that depends on it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from contact_center.core.uow import UnitOfWorkFactory
from contact_center.outbound.models import OutboundMessage
from tests.support.server import free_port


class Inbox:
    """The SMTP server's handler: every message it accepted, in order, with its envelope's recipients.
    `accept_after` seconds makes it slow to answer, so that deliveries of one message can overlap."""

    def __init__(self, accept_after: float = 0.0) -> None:
        self.accept_after = accept_after
        self.received: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.accept_after:
            await asyncio.sleep(self.accept_after)
        self.received.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"

    @property
    def messages(self) -> list[Message]:
        return [message_from_bytes(content) for _, content in self.received]

    @property
    def recipients(self) -> list[list[str]]:
        return [rcpt for rcpt, _ in self.received]

    def texts_to(self, address: str) -> list[str]:
        """The raw text, as sent, of every message addressed to `address` alone."""
        return [content.decode("utf-8", "replace") for rcpt, content in self.received if rcpt == [address]]


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def start_smtp(smtp_port: int) -> Iterator[Callable[..., Inbox]]:
    """Start the local SMTP server on `smtp_port` (with a given inbox, or a new one) when the test says
    the outage is over; every server started is stopped after the test."""
    controllers: list[Controller] = []

    def start(inbox: Inbox | None = None) -> Inbox:
        inbox = inbox if inbox is not None else Inbox()
        controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
        controller.start()
        controllers.append(controller)
        return inbox

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def smtp(smtp_port: int, start_smtp: Callable[..., Inbox]) -> tuple[Inbox, int]:
    """The SMTP server already up: its inbox and port."""
    return start_smtp(), smtp_port


async def outbound_row(uows: UnitOfWorkFactory, outbound_id: int) -> OutboundMessage:
    """The outbox row as it stands now, detached: readable after its unit of work ends."""
    async with uows() as uow:
        row = await uow.session.get(OutboundMessage, outbound_id)
        assert row is not None
        uow.session.expunge(row)
        return row
