"""`contact-center asterisk-prompts`: generate the IVR's static prompts at install time.

Every text of the loaded flows without a caller's data (no `{variable}`) is spoken by espeak-ng and
cached where the FastAGI runner looks for it (`DATA_DIR/prompts`), so the first callers do not wait
for the synthesis; texts with a caller's data are generated on first use.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from channels.asterisk.prompts import PromptError, PromptVoice
from contact_center.core.config import Settings

PROMPT_FIELDS = ("text", "prompt", "on_invalid", "on_no_input", "position_prompt", "callback_prompt",
                 "confirm_prompt", "connected_prompt")  # fmt: skip


def register(sub: Any) -> None:
    """Add the command (appended to `contact_center.cli.EXTRA_COMMANDS`)."""
    command = sub.add_parser("asterisk-prompts", help="generate the IVR's static prompts for Asterisk")
    command.add_argument("--flows", type=Path, help="the flows directory (default: the shipped flows)")
    command.set_defaults(run=_generate)


def static_texts(flows: dict[str, Any]) -> Iterator[str]:
    for flow in flows.values():
        for node in flow.nodes.values():
            for name in PROMPT_FIELDS:
                value = getattr(node, name, None)
                if isinstance(value, str) and value.strip() and "{" not in value:
                    yield value


def _generate(args: argparse.Namespace, settings: Settings) -> int:
    from ivr.flow import DEFAULT_FLOWS_DIR, load_flows

    flows = load_flows(args.flows or DEFAULT_FLOWS_DIR)
    voice = PromptVoice(settings.data_dir / "prompts")
    texts = list(dict.fromkeys(static_texts(flows)))
    try:
        made = voice.generate_all(texts)
    except PromptError as exc:
        print(f"contact-center: {exc}", file=sys.stderr)
        return 1
    print(f"{len(texts)} prompts in {voice.directory} ({made} generated now)")
    return 0
