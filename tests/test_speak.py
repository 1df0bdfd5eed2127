"""Spoken answers: real speech from eSpeak NG (and Festival), checked with sox for a plausible
duration; the CLI's --speak --out and the HTTP API's audio answers."""

from __future__ import annotations

import json
import shutil
import subprocess
import wave
from io import BytesIO

import pytest

from wenda.speak import SpeechError, spoken_text, synthesize
from wenda.types import AnswerHit, AskResult, Hit

needs = {name: pytest.mark.skipif(shutil.which(prog) is None, reason=f"needs {prog} (make install-test)")
         for name, prog in (("espeak-ng", "espeak-ng"), ("festival", "text2wave"), ("sox", "sox"))}  # fmt: skip


def _seconds(wav: bytes) -> float:
    """Duration by sox when installed (the issue's check), else by the wave module."""
    if shutil.which("sox"):
        done = subprocess.run(["sox", "--i", "-D", "-"], input=wav, capture_output=True, check=True)
        return float(done.stdout)
    with wave.open(BytesIO(wav)) as w:
        return w.getnframes() / w.getframerate()


def _voiced_share(wav: bytes) -> float:
    """Share of 20 ms frames louder than a whisper: speech, not silence."""
    import numpy as np

    with wave.open(BytesIO(wav)) as w:
        rate, samples = w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    frames = samples[: len(samples) // (rate // 50) * (rate // 50)].reshape(-1, rate // 50).astype(float)
    return float((np.sqrt((frames**2).mean(1)) > 300).mean())


@pytest.mark.parametrize(
    "backend",
    [pytest.param("espeak-ng", marks=needs["espeak-ng"]), pytest.param("festival", marks=needs["festival"])],
)
def test_speech_is_non_empty_and_of_plausible_length(backend):
    short, long = (
        synthesize("Seine.", backend),
        synthesize("The Seine flows through Paris before reaching the English Channel.", backend),
    )
    for wav in (short, long):
        assert wav[:4] == b"RIFF" and _voiced_share(wav) > 0.2
    assert 0.2 < _seconds(short) < 3.0 < _seconds(long) < 12.0  # about 2-4 words a second


@needs["espeak-ng"]
def test_chinese_answers_get_a_chinese_voice():
    assert 0.3 < _seconds(synthesize("长江", "espeak-ng")) < 5.0


def test_what_is_said_and_clear_errors():
    hit = Hit(1, 1.0, 1, "The Seine flows.", 1, "r.txt", "Rivers", 0, 16, "bm25")
    answered = AskResult("q", (AnswerHit("Seine", 0.9, hit, 4, 9),), (hit,), 0.01, False)
    assert spoken_text(answered) == "Seine. From: Rivers."
    assert "do not seem to contain" in spoken_text(AskResult("q", (), (), 1.0, True))
    with pytest.raises(SpeechError, match="unknown speech backend"):
        synthesize("x", "sam")


def test_a_missing_synthesizer_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(SpeechError, match="apt-get install espeak-ng"):
        synthesize("x")


@needs["espeak-ng"]
def test_cli_and_http_speak(tmp_path, docs_dir):
    pytest.importorskip("torch")
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from tests.cli.test_cli import wenda
    from wenda.collection import Collection
    from wenda.config import Settings
    from wenda.serve.app import create_app

    index, out = tmp_path / "idx", tmp_path / "answer.wav"
    with Collection.open_or_create(index) as col:
        col.add([docs_dir])
    r = wenda(
        "ask",
        "Which river flows through Paris?",
        "--index",
        str(index),
        "--speak",
        "--out",
        str(out),
        "--json",
    )
    assert r.returncode == 0, r.stderr
    assert "Seine" in json.loads(r.stdout)["answers"][0]["text"]
    assert 0.5 < _seconds(out.read_bytes()) < 10
    with TestClient(create_app(index, cfg=Settings())) as client:
        reply = client.get("/v1/ask", params={"q": "Which river flows through Paris?", "audio": 1})
        assert reply.status_code == 200 and reply.headers["content-type"] == "audio/wav"
        assert 0.5 < _seconds(reply.content) < 10
