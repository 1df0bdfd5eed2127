"""The squad-open benchmark on tiny files, and on the real data when it is present."""

from __future__ import annotations

import pytest

from wenda.data import DatasetMissing, build_squad_open, data_dir
from wenda.types import Document


def test_build_squad_open_on_tiny_files(tiny_data):
    docs, questions = build_squad_open(tiny_data)
    assert [d.source for d in docs] == [
        "squad-dev/0-0",
        "squad-dev/0-1",
        "squad-dev/1-0",
        "wiki/Oxygen",
        "wiki/AC/DC",
    ]
    assert docs[1] == Document("squad-dev/0-1", "Super_Bowl_50", "It was played in Santa Clara.")
    assert docs[1].meta == {"dataset": "squad-v1.1-dev", "article": 0, "paragraph": 1}
    assert docs[3] == Document("wiki/Oxygen", "Oxygen", "Oxygen is a chemical element.")
    assert [q.id for q in questions] == ["q1", "q2", "q3"]


def test_build_squad_open_reads_wenda_data(monkeypatch, tiny_data):
    monkeypatch.setenv("WENDA_DATA", str(tiny_data))
    docs, _ = build_squad_open()
    assert len(docs) == 5


def test_build_squad_open_says_what_is_missing(tiny_data):
    (tiny_data / "wiki-vital-summaries" / "summaries_en-us.json").unlink()
    with pytest.raises(DatasetMissing, match="wenda data download wiki-vital-summaries"):
        build_squad_open(tiny_data)


def test_real_squad_open_counts(monkeypatch):
    """The full benchmark: 2,067 SQuAD v1.1 dev paragraphs + 10,033 summaries; 10,570 questions."""
    monkeypatch.undo()  # the real WENDA_DATA / default, not the isolated one
    root = data_dir()
    try:
        docs, questions = build_squad_open(root)
    except DatasetMissing as exc:
        pytest.skip(f"real data absent (set WENDA_DATA to the shared data folder): {exc}")
    squad = [d for d in docs if d.source.startswith("squad-dev/")]
    assert len(squad) == 2067
    assert len(docs) - len(squad) == 10033
    assert len(questions) == 10570
    assert len({d.source for d in docs}) == len(docs)
    assert all(q.answers for q in questions)
    assert sum(len(q.answers) for q in questions) == 34726
