"""Passage ranking data made from the reading sets (wenda.train.passages) and a ranker trained on it."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from tests.train.test_reading import PARAGRAPHS, _paragraph_examples, _squad_file  # noqa: E402
from wenda.train import passages  # noqa: E402
from wenda.train.passages import NEGATIVES, load_passages  # noqa: E402
from wenda.train.ranking import ranking_dataset  # noqa: E402


@pytest.fixture
def tiny(monkeypatch):
    """Every split is the six one-sentence river paragraphs."""
    monkeypatch.setattr(passages, "_examples", lambda split: _paragraph_examples())
    load_passages.cache_clear()
    yield
    load_passages.cache_clear()


def test_each_query_has_its_gold_window_first_and_distractors_without_the_answer(tiny):
    queries = load_passages("train")
    assert len(queries) == len(PARAGRAPHS)
    for query, (context, [(question, answer)]) in zip(queries, PARAGRAPHS, strict=True):
        gold, *others = query.candidates
        assert query.text == question and gold.label == 1 and gold.text == context.lower().replace(".", "")
        assert 1 <= len(others) <= NEGATIVES["train"]
        assert all(c.label == 0 and f" {answer.lower()} " not in f" {c.text} " for c in others)
    ids = [c.id for q in queries for c in q.candidates]
    assert len(ids) == len(set(ids))
    assert set(ranking_dataset("passages").qrels("train")) == {q.id for q in queries}


def test_the_test_split_is_squad_dev_and_other_splits_are_refused(tmp_path, monkeypatch):
    _squad_file(tmp_path / "squad-dev" / "squad-v1.1-dev.json", PARAGRAPHS)
    monkeypatch.setenv("WENDA_DATA", str(tmp_path))
    load_passages.cache_clear()
    try:
        queries = load_passages("test")
        assert [q.id for q in queries] == [f"squad-v1.1-dev/q{i}-0" for i in range(len(PARAGRAPHS))]
        with pytest.raises(ValueError, match="unknown split"):
            load_passages("validation")
    finally:
        load_passages.cache_clear()
    with pytest.raises(ValueError, match="passages"):
        ranking_dataset("msmarco")


def test_a_ranker_trains_on_passages(tiny, tmp_path):
    from wenda.train.ranking import train_ranker

    settings = {"embeddings": "random", "epochs": 1, "threads": 1, "batch_size": 2, "negatives": 1}
    report = train_ranker("knrm", "passages", tmp_path / "knrm", settings, progress=False)
    assert report["dataset"] == "passages" and report["epoch"] == 1
    assert (tmp_path / "knrm" / "model.safetensors").exists() and 0 <= report["best"] <= 1
