"""Reader calibration: ECE worked by hand, the temperature's direction, the no-answer threshold,
the stored file, and abstention through the service."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from wenda.read.calibrate import (  # noqa: E402
    Calibration,
    Scored,
    calibrate,
    em_f1,
    expected_calibration_error,
    fit_temperature,
)


def test_ece_by_hand():
    """Bin [0.9, 1.0]: confidences 0.9, 0.95 (mean 0.925), one right: |0.5 - 0.925| * 2/4;
    bin [0.2, 0.3): 0.2, 0.25 (mean 0.225), both wrong: |0 - 0.225| * 2/4."""
    ece = expected_calibration_error([0.9, 0.95, 0.2, 0.25], [1, 0, 0, 0])
    assert ece == pytest.approx(0.5 * 0.425 + 0.5 * 0.225)
    assert expected_calibration_error([1.0, 0.0], [1, 0]) == 0.0  # 1.0 falls in the last bin
    assert expected_calibration_error([], []) == 0.0


def test_em_f1_by_hand():
    """Official SQuAD rules: "The Paris" matches "paris" (articles dropped); "rome city" against
    "rome" has precision 1/2, recall 1, F1 2/3; mean over three questions, in percent."""
    scored = [Scored(np.zeros(1), text, None, golds)
              for text, golds in [("The Paris", ("paris",)), ("rome city", ("rome",)), ("", ("oslo",))]]  # fmt: skip
    assert em_f1(scored) == pytest.approx({"exact_match": 100 / 3, "f1": 100 * (1 + 2 / 3) / 3})
    assert em_f1([]) == {"exact_match": 0.0, "f1": 0.0}


def _overconfident(n: int = 40) -> list[Scored]:
    """Every best span has score 10 against 9 others at 0 (P ~ 1 at T = 1), right half the time."""
    scores = np.array([10.0] + [0.0] * 9)
    return [Scored(scores, "paris" if i % 2 else "rome", None, ("paris",)) for i in range(n)]


def test_temperature_softens_overconfident_answers():
    scored = _overconfident()
    t = fit_temperature(scored)
    assert t > 2.0
    # at the fitted temperature the best span's probability is near the accuracy (0.5)
    assert abs(scored[0].probs(t)[0] - 0.5) < 0.1
    assert fit_temperature([]) == 1.0


def test_threshold_chosen_when_unanswerable_examples_exist():
    answerable = [Scored(np.array([2.0, 0.0]), "paris", -5.0, ("paris",)) for _ in range(3)]
    unanswerable = [Scored(np.array([0.0, 0.0]), "x", 5.0, ()) for _ in range(3)]
    cal = calibrate(answerable + unanswerable, "test")
    p_none_answerable = answerable[0].probs(cal.temperature)[1]
    p_none_unanswerable = unanswerable[0].probs(cal.temperature)[1]
    assert p_none_answerable <= cal.no_answer_threshold < p_none_unanswerable
    assert calibrate(answerable, "no unanswerable").no_answer_threshold == 1.0


def test_calibration_file_round_trip(tmp_path):
    assert Calibration.load(tmp_path) == Calibration()
    Calibration(1.7, 0.4, "held-out").save(tmp_path)
    assert json.loads((tmp_path / "calibration.json").read_text())["temperature"] == 1.7
    assert Calibration.load(tmp_path) == Calibration(1.7, 0.4, "held-out")


def test_service_abstains_above_the_threshold():
    from tests.read.padding import WORDS
    from wenda import registry
    from wenda.read.answer import ReaderService
    from wenda.read.base import TOKENIZER
    from wenda.text.vocab import Vocab

    cls = registry.get("read", "drqa")
    torch.manual_seed(0)
    model = cls(cls.Config(no_answer=True), Vocab.build([WORDS]))
    passage = " ".join(WORDS[:20])
    service = ReaderService(model, TOKENIZER, calibration=Calibration(1.0, 1.0))
    best = service.answer("what", [passage])
    assert best is not None and 0 < best.no_answer < 1
    service.calibration = Calibration(1.0, best.no_answer / 2)
    assert service.answer("what", [passage]) is None
    hot = ReaderService(model, TOKENIZER, calibration=Calibration(50.0, 1.0)).read("what", [passage])[0]
    assert hot.text == best.text and hot.prob < best.prob  # a temperature never changes the answer
