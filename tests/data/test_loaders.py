"""SQuAD and Wikipedia-summary loaders on tiny files."""

from __future__ import annotations

import dataclasses

import pytest

from wenda.data import DatasetFormatError, Question, load_squad, load_wiki_summaries, squad_questions


def test_load_squad_returns_the_articles(tiny_data):
    articles = load_squad(tiny_data / "squad-dev" / "squad-v1.1-dev.json")
    assert [a["title"] for a in articles] == ["Super_Bowl_50", "Oxygen"]


def test_squad_questions(tiny_data):
    questions = squad_questions(load_squad(tiny_data / "squad-dev" / "squad-v1.1-dev.json"))
    assert [q.id for q in questions] == ["q1", "q2", "q3"]
    first = questions[0]
    assert first == Question(
        id="q1",
        question="Who won Super Bowl 50?",
        answers=("Denver Broncos", "Denver Broncos"),  # duplicates kept, as the official scorer sees them
        context="Super Bowl 50 was won by the Denver Broncos.",
        title="Super_Bowl_50",
    )
    assert questions[2].answers == ()  # SQuAD v2.0 style unanswerable
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.id = "x"


@pytest.mark.parametrize("content", ["not json", "[]", '{"version": "1.1"}', '{"data": {}}'])
def test_load_squad_refuses_other_files(tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(DatasetFormatError, match="bad.json"):
        load_squad(path)


def test_load_wiki_summaries(tiny_data):
    summaries = load_wiki_summaries(tiny_data / "wiki-vital-summaries" / "summaries_en-us.json")
    assert summaries == [("Oxygen", "Oxygen is a chemical element."), ("AC/DC", "AC/DC are a rock band.")]


@pytest.mark.parametrize("content", ["not json", "[]", '{"a": "text"}'])
def test_load_wiki_summaries_refuses_other_files(tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(DatasetFormatError, match="bad.json"):
        load_wiki_summaries(path)
