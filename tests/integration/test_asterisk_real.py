"""The 195 line against a real Asterisk 22.9.0 (built by scripts/build-asterisk, configured from
channels/asterisk/samples/): calls are AMI-originated Local channels, keys are AMI PlayDTMF.

Each test names the finding of issue 15 it reproduces."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from channels.asterisk.prompts import spoken_text
from tests.integration.real_asterisk_support import (
    ami,
    asterisk,
    asterisk_prefix,
    conversation,
    eventually,
    ivr_leg,
    line,
    prompt_playing,
)
from tests.support.ami_driver import AmiDriver

__all__ = ["ami", "asterisk", "asterisk_prefix", "line"]  # fixtures

MENU = "Para información de trámites, marque 1."


async def test_a_key_pressed_during_the_menu_prompt_chooses_the_option(
    line: TestClient[Any, Any], ami: AmiDriver
) -> None:
    """Findings 1, 3 and 4. The AMI mirror sees Newchannel before FastAGI starts and creates the
    conversation: the IVR must join it (it crashed with KeyError 'state'). The menu is spoken whole
    (Festival's arguments were cut at the first comma) and a key pressed while it plays is kept
    (it was read as the end of the argument list, then lost)."""
    caller = await ami.call()
    leg, linkedid = ivr_leg(caller), caller["Linkedid"]
    menu = await prompt_playing(ami, leg, MENU)
    assert spoken_text(menu).startswith(MENU) and spoken_text(menu).endswith("marque 0.")  # type: ignore[union-attr]
    call = await eventually(lambda: conversation(line, linkedid))
    assert call.flow_state["channel"] == leg  # the IVR took over the mirror's conversation
    await ami.press(caller["Channel"], "1")  # mid-prompt
    await prompt_playing(ami, leg, "Para impuesto predial, marque 1.")  # the trámites menu

    async def at_tramites() -> bool:
        found = await conversation(line, linkedid)
        return found is not None and found.flow_state["state"]["node"] == "menu_tramites"

    await eventually(at_tramites)
    assert not ami.named("QueueCallerJoin")  # nothing fell to the dialplan's fallback
    assert not [c for c in ami.named("AGIExecStart") if "Festival" in c.get("Command", "")]
