"""What the caller hears on Asterisk: the flow's text as recordings, generated once and cached.

A city that records its prompts maps them (`AsteriskIvr.prompts`); every other text is spoken by
espeak-ng's Latin-American Spanish voice (`es-419`, Debian package espeak-ng) and converted by sox
to what Asterisk plays without transcoding surprises (WAV, 8 kHz, mono, 16-bit). Files are named by
a hash of voice and text, so a text is generated once, a changed text gets a new file and two
processes generating the same text write the same file (atomically: temp file, then rename).
Static texts are generated at install time (`contact-center asterisk-prompts`); texts with a
caller's data (a status, a date) on first use, in about a tenth of a second.

The text never travels in an AGI argument: the runner plays the file with STREAM FILE, whose
escape digits are the menu's keys.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)
VOICE = "es-419"
SPEED = 165  # words per minute: a little slower than espeak's default (175), for the telephone


class PromptError(RuntimeError):
    """espeak-ng or sox is missing or failed."""


@dataclass(frozen=True)
class PromptVoice:
    directory: Path
    voice: str = VOICE
    speed: int = SPEED

    def path(self, text: str) -> Path:
        """The file (without extension, as STREAM FILE wants it) of a text."""
        digest = hashlib.sha256(f"{self.voice}|{self.speed}|{text}".encode()).hexdigest()[:24]
        return self.directory / f"p195-{digest}"

    async def ensure(self, text: str) -> str:
        """The prompt's path for STREAM FILE, generating the recording if it is not cached."""
        target = self.path(text)
        if not target.with_suffix(".wav").exists():
            await asyncio.to_thread(self.generate, text)
        return str(target)

    def generate(self, text: str) -> Path:
        target = self.path(text).with_suffix(".wav")
        if target.exists():
            return target
        for tool in ("espeak-ng", "sox"):
            if shutil.which(tool) is None:
                raise PromptError(f"{tool} is not installed (apt-get install espeak-ng sox)")
        self.directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.directory) as work:
            spoken, converted = Path(work) / "tts.wav", Path(work) / "out.wav"
            # The text goes on stdin, never as an argument (a text starting with "-" is no option).
            _run(["espeak-ng", "-v", self.voice, "-s", str(self.speed), "-w", str(spoken)], text)
            _run(["sox", str(spoken), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer",
                  str(converted)])  # fmt: skip
            # What the file says, beside it: for whoever lists the directory (and the tests).
            target.with_suffix(".txt").write_text(text, encoding="utf-8")
            os.replace(converted, target)
        log.info("asterisk_prompt_generated", extra={"file": target.name, "chars": len(text)})
        return target

    async def silence(self) -> str:
        """A tenth of a second of silence, for GET DATA's prompt: Asterisk's own `silence/1` is in
        the English sounds only, and a missing file makes GET DATA fail in Spanish."""
        target = self.directory / "p195-silence"
        if not target.with_suffix(".wav").exists():
            await asyncio.to_thread(self._make_silence, target.with_suffix(".wav"))
        return str(target)

    def _make_silence(self, target: Path) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.directory) as work:
            made = Path(work) / "silence.wav"
            _run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(made),
                  "trim", "0", "0.1"])  # fmt: skip
            os.replace(made, target)

    def generate_all(self, texts: Iterable[str]) -> int:
        """Generate every text not cached yet; how many were generated."""
        made = 0
        for text in dict.fromkeys(texts):
            if not self.path(text).with_suffix(".wav").exists():
                self.generate(text)
                made += 1
        return made


def default_voice() -> PromptVoice:
    """The cache outside any work tree when the app names none (`DATA_DIR/prompts` in the app)."""
    return PromptVoice(Path(tempfile.gettempdir()) / "pasto195-prompts")


def spoken_text(path: str) -> str | None:
    """The text a generated prompt says (its `.txt` beside it), if it is one."""
    try:
        return Path(path).with_suffix(".txt").read_text(encoding="utf-8")
    except OSError:
        return None


def _run(command: list[str], stdin: str | None = None) -> None:
    import subprocess

    done = subprocess.run(  # noqa: S603  (fixed tools, arguments built here)
        command, input=stdin, capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode != 0:
        raise PromptError(f"{command[0]} failed: {done.stderr.strip()[:200]}")
