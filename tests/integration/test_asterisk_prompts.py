"""`contact-center asterisk-prompts` generates the flows' static prompts where the runner plays them."""

from __future__ import annotations

import os
import subprocess
import wave
from pathlib import Path

from channels.asterisk.prompts import PromptVoice, spoken_text
from tests.support.server import CLI

WELCOME = "Gracias por llamar a la Línea 195 de la Alcaldía de Pasto."


def test_static_prompts_are_generated_once_as_8_khz_mono_wav(tmp_path: Path) -> None:
    env = {**os.environ, "DATA_DIR": str(tmp_path), "LOG_LEVEL": "WARNING"}
    first = subprocess.run(
        [str(CLI), "asterisk-prompts"], env=env, capture_output=True, text=True, check=True
    )
    assert "generated now" in first.stdout and "(0 generated now)" not in first.stdout
    again = subprocess.run(
        [str(CLI), "asterisk-prompts"], env=env, capture_output=True, text=True, check=True
    )
    assert "(0 generated now)" in again.stdout  # cached by the text's hash
    welcome = PromptVoice(tmp_path / "prompts").path(WELCOME)  # the file the runner plays
    assert spoken_text(str(welcome)) == WELCOME
    with wave.open(str(welcome.with_suffix(".wav"))) as audio:
        assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (8000, 1, 2)
        assert audio.getnframes() > 8000  # more than a second of speech
