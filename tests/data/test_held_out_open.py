"""The held-out-open dev set: the reading training sets' held-out questions asked of their contexts
among the Wikipedia summaries (never a question any packaged model trained on)."""

from __future__ import annotations

import wenda.data.held_out_open as held_out_open
import wenda.data.reading_train as reading_train
from wenda.data.reading import SpanExample
from wenda.data.reading_train import (
    HELD_OUT_FRACTION,
    held_out_examples,
    load_reading_training,
    split_held_out,
)


def test_held_out_contexts_then_summaries(tiny_data, monkeypatch):
    examples = [
        SpanExample(
            f"q{i}", f"Question {i}?", f"Context number {i // 2}.", (("number", 8),) if i % 2 else (), "s"
        )
        for i in range(400)
    ]
    monkeypatch.setattr(reading_train, "load_reading_training", lambda names, root: (examples, {}))
    docs, questions = held_out_open.build_held_out_open(tiny_data)
    _, held = split_held_out(examples, HELD_OUT_FRACTION)
    contexts = list(dict.fromkeys(ex.context for ex in held))
    assert held and [d.text for d in docs[: len(contexts)]] == contexts
    assert [d.source for d in docs[len(contexts) :]] == ["wiki/Oxygen", "wiki/AC/DC"]
    assert [q.id for q in questions] == [f"s/{ex.id}" for ex in held if ex.answers]  # answerable only
    assert all(q.answers == ("number",) and q.context in contexts for q in questions)


def test_contexts_keep_titles_that_name_them(tiny_data, monkeypatch):
    """Wikipedia sets' titles name the article; a forum's one title for every comment does not."""
    sets = [("qed-dev", "Article {}"), ("squad-shifts-reddit", "Filtered_Reddit_Comments")]
    examples = [
        SpanExample(
            f"q{i}", "Which?", f"Context {i} of {source}.", (("Context", 0),), source, title.format(i)
        )
        for i in range(400)
        for source, title in sets
    ]
    monkeypatch.setattr(reading_train, "load_reading_training", lambda names, root: (examples, {}))
    docs, _ = held_out_open.build_held_out_open(tiny_data)
    expected = {ex.context: ex.title if ex.source == "qed-dev" else "" for ex in examples}
    held = [d for d in docs if d.source.startswith("held-out/")]
    assert {d.title for d in held} - {""} and "" in {d.title for d in held}  # both kinds held out
    assert all(d.title == expected[d.text] for d in held)


def test_real_held_out_open_counts(data_dir):
    """Measured on ../shared/data: 1,902 answerable held-out questions, 901 held-out contexts."""
    docs, questions = held_out_open.build_held_out_open(data_dir)
    held = [d for d in docs if d.source.startswith("held-out/")]
    assert (len(held), len(docs) - len(held), len(questions)) == (901, 10033, 1902)
    train, held_out = split_held_out(load_reading_training(root=data_dir)[0], HELD_OUT_FRACTION)
    assert held_out == held_out_examples(root=data_dir)
    wiki = ("squad-shifts-new-wiki", "tydiqa-en")  # a subset's held-out part is the same questions
    assert held_out_examples(wiki, data_dir) == [ex for ex in held_out if ex.source in wiki]
    assert not {d.text for d in held} & {ex.context for ex in train}
