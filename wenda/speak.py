"""Spoken answers: an :class:`~wenda.types.AskResult` said aloud as a WAV file, by a speech
synthesizer installed on the system.

Backends (``speech_backend`` setting): ``espeak-ng`` (the default: Debian package ``espeak-ng``,
formant synthesis, ~100 languages, fast on any CPU) and ``festival`` (Debian ``festival``, its
``text2wave``; English). Both run as a subprocess writing a WAV file, so nothing is linked into
Python and a missing or broken synthesizer is a clear error, not a crash. A neural voice (piper-tts,
GPL-3.0) is deliberately not a dependency.

What is said: the best answer and where it was found ("Seine. From: Rivers of Europe."), or that
the documents do not seem to hold one. Answers in Chinese, Japanese or Korean script are spoken with
espeak-ng's Mandarin voice (``cmn``); everything else with its English voice.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from wenda.errors import WendaError
from wenda.types import AskResult

BACKENDS = {"espeak-ng": "espeak-ng", "festival": "text2wave"}  # backend -> the program it runs
MAX_CHARS = 1000  # longer text is cut: a spoken answer is a sentence, not a document
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
TIMEOUT_S = 60


class SpeechError(WendaError):
    """The synthesizer is missing or failed."""


def spoken_text(result: AskResult) -> str:
    """The sentence to say for ``result``."""
    if result.abstained or not result.answers:
        return "The documents do not seem to contain an answer."
    best = result.answers[0]
    return f"{best.text}. From: {best.hit.title}."


def synthesize(text: str, backend: str = "espeak-ng") -> bytes:
    """WAV bytes of ``text`` spoken by ``backend`` (see the module docstring).

    Raises:
        SpeechError: an unknown backend, the program is not installed, it failed, or it wrote
            no audio.
    """
    if backend not in BACKENDS:
        raise SpeechError(f"unknown speech backend {backend!r}; choose one of {sorted(BACKENDS)}")
    program = shutil.which(BACKENDS[backend])
    if program is None:
        package = "espeak-ng" if backend == "espeak-ng" else "festival"
        raise SpeechError(
            f"speaking needs {BACKENDS[backend]}: install the {package!r} system package (apt-get install {package})"
        )
    text = " ".join(text.split())[:MAX_CHARS] or "."
    with tempfile.TemporaryDirectory(prefix="wenda-speech-") as tmp:
        out = Path(tmp) / "speech.wav"
        if backend == "espeak-ng":
            voice = "cmn" if _CJK.search(text) else "en"
            cmd, stdin = [program, "-v", voice, "-w", str(out), "--stdin"], text
        else:
            cmd, stdin = [program, "-o", str(out)], text
        try:
            done = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise SpeechError(f"{backend} took more than {TIMEOUT_S} s") from None
        if done.returncode != 0 or not out.exists() or out.stat().st_size <= 44:  # 44: a bare WAV header
            raise SpeechError(f"{backend} failed ({done.returncode}): {done.stderr.strip()[:300]}")
        return out.read_bytes()


PLAYERS = (["aplay", "-q"], ["paplay"], ["play", "-q"])  # ALSA, PulseAudio, sox


def play(wav: bytes) -> None:
    """Play WAV bytes on the speakers with the first player found (aplay, paplay, sox's play).

    Raises:
        SpeechError: no player is installed, or it failed (no audio device, say).
    """
    for player in PLAYERS:
        if (program := shutil.which(player[0])) is None:
            continue
        done = subprocess.run([program, *player[1:], "-"], input=wav, capture_output=True, timeout=TIMEOUT_S)
        if done.returncode != 0:
            raise SpeechError(
                f"{player[0]} could not play the answer: {done.stderr.decode(errors='replace').strip()[:300]}"
            )
        return
    raise SpeechError("no audio player found (aplay, paplay or play); write the audio to a file with --out")
