"""The reader shipped in the package: it loads with no arguments, answers plain questions with
provenance, and is small."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import wenda  # noqa: E402
from wenda.eval.squad import exact_match  # noqa: E402
from wenda.read.answer import DEFAULT_READER  # noqa: E402

PASSAGES = [
    "The Seine is a river that flows through Paris before reaching the English Channel.",
    "Tea is a drink made from leaves.",
    "Mount Everest is 8,849 metres tall and lies in the Himalayas.",
]


def test_default_reader_answers_with_provenance():
    reader = wenda.load_reader()
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


def test_default_reader_is_small_and_calibrated():
    size = sum(f.stat().st_size for f in DEFAULT_READER.iterdir())
    assert size < 30 * 2**20
    reader = wenda.load_reader()
    assert "held-out training questions" in reader.calibration.chosen_on
