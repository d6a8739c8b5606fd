"""The FastAGI server against a simulated Asterisk that connects and answers from a script."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from channels.asterisk.agi import AgiServer
from channels.asterisk.agi_protocol import parse_reply, quote
from channels.asterisk.agi_session import AgiSession
from channels.asterisk.config import AgiConfig
from channels.asterisk.errors import AgiCommandFailed, AgiCommandTimeout, CallHungUp
from tests.asterisk_peer import HANG_UP, NO_REPLY, environment_block, run_agi_call

Flow = Callable[[AgiSession], Awaitable[None]]


class Recorder:
    """Runs one flow per call and keeps what the flow saw (or what stopped it)."""

    def __init__(self) -> None:
        self.flow: Flow | None = None
        self.results: list[Any] = []
        self.error: BaseException | None = None
        self.done = asyncio.Event()

    async def __call__(self, session: AgiSession) -> None:
        assert self.flow is not None
        try:
            await self.flow(session)
        except BaseException as exc:
            self.error = exc
            raise
        finally:
            self.done.set()


@pytest.fixture
async def agi() -> AsyncIterator[tuple[AgiServer, Recorder]]:
    recorder = Recorder()
    server = AgiServer(
        AgiConfig(
            host="127.0.0.1",
            port=0,
            environment_timeout=0.2,
            command_timeout=0.2,
            media_timeout=0.2,
        ),
        recorder,
    )
    await server.start()
    yield server, recorder
    await server.close()


async def test_the_environment_block_of_the_capture_is_parsed(
    agi: tuple[AgiServer, Recorder], caplog: pytest.LogCaptureFixture
) -> None:
    server, rec = agi
    caplog.set_level(logging.INFO, logger="channels.asterisk")

    async def flow(session: AgiSession) -> None:
        rec.results.append(session.env)

    rec.flow = flow
    call = await run_agi_call(server.port, [])
    env = rec.results[0]
    assert (env.uniqueid, env.channel, env.network_script) == (
        "1795476145.1", "Local/s@test-00000000;2", "ivr",
    )  # fmt: skip
    assert env.request == "agi://127.0.0.1:4573/ivr"
    assert (env.caller_id, env.caller_id_name, env.dnid) == ("5551234", "Test Caller", None)
    assert (env.context, env.extension, env.priority, env.version) == ("test", "s", "4", "22.10.1")
    assert env.args == ("arg1", "arg2")
    assert env.raw["threadid"] == "140284065048256"
    assert call.commands == [] and call.closed_by_server
    await asyncio.sleep(0.01)
    ends = [r for r in caplog.records if r.msg == "agi_session_end"]
    assert [(r.uniqueid, r.outcome) for r in ends] == [("1795476145.1", "completed")]  # type: ignore[attr-defined]
    assert any(r.msg == "agi_session_start" for r in caplog.records)


async def test_the_commands_of_the_captured_session_round_trip(
    agi: tuple[AgiServer, Recorder],
) -> None:
    server, rec = agi

    async def flow(session: AgiSession) -> None:
        await session.verbose("hello from python fastagi")
        rec.results.append(await session.get_variable("CC_VAR"))
        await session.set_variable("IVR_CHOICE", "2")
        rec.results.append(await session.channel_status())
        rec.results.append(await session.stream_file("beep"))
        rec.results.append(await session.exec("NoOp", ["Pasto 195", "línea"]))
        rec.results.append(await session.get_variable("UNSET"))

    rec.flow = flow
    call = await run_agi_call(server.port, [
        ("VERBOSE", "200 result=1"),
        ("GET VARIABLE", "200 result=1 (hello-from-dialplan)"),
        ("SET VARIABLE", "200 result=1"),
        ("CHANNEL STATUS", "200 result=6"),
        ("STREAM FILE", "200 result=0 endpos=3520"),
        ("EXEC", "200 result=0"),
        ("GET VARIABLE", "200 result=0"),
    ])  # fmt: skip
    assert rec.error is None
    assert rec.results == ["hello-from-dialplan", 6, None, "0", None]
    assert call.commands == [
        'VERBOSE "hello from python fastagi" "1"',
        'GET VARIABLE "CC_VAR"',
        'SET VARIABLE "IVR_CHOICE" "2"',
        "CHANNEL STATUS",
        'STREAM FILE "beep" ""',
        'EXEC NoOp "Pasto 195,línea"',
        'GET VARIABLE "UNSET"',
    ]
    assert call.closed_by_server


async def test_keys_digits_and_timeouts_come_back_typed(agi: tuple[AgiServer, Recorder]) -> None:
    server, rec = agi

    async def flow(session: AgiSession) -> None:
        await session.answer()
        rec.results.append(await session.stream_file("bienvenida", "123"))
        rec.results.append(await session.get_data("digite-radicado", 3000, 10))
        rec.results.append(await session.get_data("digite-radicado", 3000, 10))
        rec.results.append(await session.get_data("digite-radicado", 3000, 10))
        rec.results.append(await session.say_digits("2026000123", "#"))

    rec.flow = flow
    call = await run_agi_call(server.port, [
        ("ANSWER", "200 result=0"),
        ("STREAM FILE", "200 result=50 endpos=8000"),
        ("GET DATA", "200 result=2026000123"),
        ("GET DATA", "200 result=123 (timeout)"),
        ("GET DATA", "200 result= (timeout)"),
        ("SAY DIGITS", "200 result=35"),
    ])  # fmt: skip
    assert rec.error is None
    assert rec.results == ["2", "2026000123", "123", None, "#"]
    assert call.commands[1] == 'STREAM FILE "bienvenida" "123"'
    assert call.commands[2] == 'GET DATA "digite-radicado" "3000" "10"'


@pytest.mark.parametrize(
    "steps",
    [
        pytest.param([("GET DATA", "HANGUP\n200 result=-1")], id="HANGUP line"),
        pytest.param([("GET DATA", HANG_UP)], id="socket closed"),
        pytest.param(
            [("GET DATA", "511 Command Not Permitted on a dead channel or intercepted by a hangup handler")],
            id="511",
        ),
        pytest.param(
            [("GET DATA", "200 result=-1"), ("CHANNEL STATUS", "511 Command Not Permitted")],
            id="result -1 then dead channel",
        ),
    ],
)
async def test_a_caller_hanging_up_mid_session_raises_call_hung_up(
    agi: tuple[AgiServer, Recorder], steps: list[tuple[str, str]], caplog: pytest.LogCaptureFixture
) -> None:
    server, rec = agi
    caplog.set_level(logging.INFO, logger="channels.asterisk")

    async def flow(session: AgiSession) -> None:
        await session.answer()
        await session.get_data("digite-radicado", 3000, 10)
        rec.results.append("unreachable")

    rec.flow = flow
    await run_agi_call(server.port, [("ANSWER", "200 result=0"), *steps])
    await asyncio.wait_for(rec.done.wait(), 1.0)
    assert isinstance(rec.error, CallHungUp)
    assert rec.results == []
    await asyncio.sleep(0.01)
    assert [r.outcome for r in caplog.records if r.msg == "agi_session_end"] == ["hung_up"]  # type: ignore[attr-defined]


async def test_a_failed_command_on_a_live_channel_is_an_error_not_a_hang_up(
    agi: tuple[AgiServer, Recorder],
) -> None:
    server, rec = agi

    async def flow(session: AgiSession) -> None:
        with pytest.raises(AgiCommandFailed, match="STREAM FILE"):
            await session.stream_file("no-such-prompt")
        with pytest.raises(AgiCommandFailed) as usage:
            await session.send("GET DATA")
        rec.results.append(usage.value.status)
        rec.results.append(await session.channel_status())

    rec.flow = flow
    await run_agi_call(server.port, [
        ("STREAM FILE", "200 result=-1 endpos=0"),
        ("CHANNEL STATUS", "200 result=6"),
        ("GET DATA", "520-Invalid command syntax.  Proper usage follows:\n"
                     " Usage: GET DATA <file to be streamed> [timeout] [maxdigits]\n"
                     "520 End of proper usage."),
        ("CHANNEL STATUS", "200 result=6"),
    ])  # fmt: skip
    assert rec.error is None
    assert rec.results == [520, 6]


async def test_a_command_without_reply_times_out_and_the_session_ends(
    agi: tuple[AgiServer, Recorder],
) -> None:
    server, rec = agi

    async def flow(session: AgiSession) -> None:
        await session.exec("Playback", "silence/1")

    rec.flow = flow
    call = await run_agi_call(server.port, [("EXEC", NO_REPLY)])
    assert isinstance(rec.error, AgiCommandTimeout)
    assert call.closed_by_server


async def test_a_peer_that_never_sends_its_environment_is_dropped(
    agi: tuple[AgiServer, Recorder], caplog: pytest.LogCaptureFixture
) -> None:
    server, rec = agi
    call = await run_agi_call(server.port, [], environment=b"agi_network: yes\n")
    assert call.closed_by_server
    assert rec.flow is None and not rec.done.is_set()
    assert any(r.msg == "agi_environment_unreadable" for r in caplog.records)


async def test_values_with_line_breaks_are_refused_before_reaching_asterisk() -> None:
    with pytest.raises(ValueError, match="line breaks"):
        quote('2\nEXEC System "rm -rf /"')
    assert quote('di "hola" \\ ya') == '"di \\"hola\\" \\\\ ya"'


def test_reply_lines_parse_result_data_and_endpos() -> None:
    reply = parse_reply("200 result=1 (hello (world)) endpos=42")
    assert (reply.status, reply.result, reply.data, reply.endpos) == (200, "1", "hello (world)", 42)
    assert parse_reply("510 Invalid or unknown command").data == "Invalid or unknown command"
    with pytest.raises(ValueError):
        parse_reply("Usage: nonsense")


def test_environment_overrides_for_other_scripts() -> None:
    block = environment_block(network_script="radicados", uniqueid="1.2")
    assert b"agi_network_script: radicados\n" in block and block.endswith(b"\n\n")
