"""WikiQA and TrecQA loaders: tiny files in the official formats, and the real data when present."""

from __future__ import annotations

import pytest

from wenda.data.answer_selection import answer_selection
from wenda.data.paths import DatasetMissing
from wenda.data.squad import DatasetFormatError
from wenda.data.trecqa import load_trecqa
from wenda.data.wikiqa import load_wikiqa, wikiqa_qrels


def test_wikiqa_groups_questions_and_reads_labels(qa_data):
    train = load_wikiqa("train")
    assert len(train) == 6 and [len(q.candidates) for q in train] == [3] * 6
    first = train[0]
    assert first.id == "Q1" and first.text == "where is paris ?"
    assert [(c.id, c.label) for c in first.candidates] == [("S0", 1), ("S1", 0), ("S2", 0)]


def test_wikiqa_filtered_and_full_judgments(qa_data):
    full, filtered = wikiqa_qrels("test", filtered=False), wikiqa_qrels("test")
    assert set(full) == {"Q1", "Q2", "Q3"} and set(filtered) == {"Q1", "Q2"}
    assert full["Q3"] == {"S0": 0, "S1": 0, "S2": 0}
    with pytest.raises(ValueError, match="dev' and 'test"):
        wikiqa_qrels("train")


def test_wikiqa_disagreeing_files_are_a_format_error(qa_data):
    ref = qa_data / "wikiqa" / "WikiQA-dev.ref"
    ref.write_text(ref.read_text().replace("1 0 0 1", "1 0 0 0", 1))
    with pytest.raises(DatasetFormatError, match="disagree"):
        load_wikiqa("dev")


def test_missing_dataset_says_how_to_fetch(tmp_path, monkeypatch):
    monkeypatch.setenv("WENDA_DATA", str(tmp_path))
    with pytest.raises(DatasetMissing, match="wenda data download wikiqa-train"):
        load_wikiqa("train")
    with pytest.raises(DatasetMissing, match="trecqa-dev"):
        load_trecqa("dev")


def test_trecqa_blocks_become_candidates(qa_data):
    dev = load_trecqa("dev")
    assert len(dev) == 3
    assert dev[0].text == "where is paris"
    assert [c.label for c in dev[0].candidates] == [1, 0, 0]
    assert dev[0].candidates[0].text == "paris is the capital of france"


def test_trecqa_clean_judgments_drop_one_sided_questions(qa_data):
    data = answer_selection("trecqa")
    assert set(data.qrels("dev")) == {"1", "2", "3"}
    with pytest.raises(ValueError, match="unknown dataset"):
        answer_selection("msmarco")


def test_real_wikiqa_and_trecqa_counts(data_dir):
    """The published statistics (Yang et al. 2015 Table 2; castorini's TrecQA README)."""
    counts = {s: load_wikiqa(s, data_dir) for s in ("train", "dev", "test")}
    assert [len(counts[s]) for s in counts] == [2118, 296, 633]
    assert sum(c.label for q in counts["test"] for c in q.candidates) == 293
    assert len(wikiqa_qrels("test", True, data_dir)) == 237
    train = load_trecqa("train", data_dir)
    assert len(train) == 94 and sum(len(q.candidates) for q in train) == 4718
