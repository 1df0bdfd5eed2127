"""Reader training data: span alignment, one loader per format, SQuAD dev guards, held-out split."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from wenda.data import DatasetMissing
from wenda.data.download import SOURCES
from wenda.data.reading import (
    AMBIGUOUS,
    DUPLICATE_ID,
    EMPTY_ANSWER,
    EMPTY_CONTEXT,
    EMPTY_QUESTION,
    NO_ANSWER,
    NOT_FOUND,
    UNPARSABLE,
    EvalDataLeak,
    SpanExample,
    align_answer,
    refuse_eval_data,
)
from wenda.data.reading_formats import (
    MULTI_SPAN,
    NON_ENGLISH,
    load_qed,
    load_squad_spans,
    load_subjqa,
    load_tydiqa,
)
from wenda.data.reading_train import (
    DEFAULT_NAMES,
    OVERLAPS_DEV,
    READING_SETS,
    SHARES_DEV,
    ReadingSet,
    SquadDevOverlap,
    load_reading_training,
    reading_set_paths,
    split_held_out,
)

CONTEXT = "The Seine flows through Paris. It didn't freeze in 1900, and Paris grew."


def qa(id, question, answers=(), **extra) -> dict:
    return {
        "id": id,
        "question": question,
        "answers": [{"text": t, "answer_start": s} for t, s in answers],
        **extra,
    }


def write_squad(path: Path, paragraphs: list[tuple[str, list[dict]]], title: str = "Seine") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"data": [{"title": title, "paragraphs": [{"context": c, "qas": q} for c, q in paragraphs]}]}
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "start", "expected"),
    [
        ("Seine", 4, (("Seine", 4), "exact")),
        (" Seine ", 3, (("Seine", 4), "repaired")),  # COVID-QA's stray whitespace
        ("did n't", 0, (("didn't", 34), "repaired")),  # SubjQA's tokenized spans
        ("Seine", 50, (("Seine", 4), "repaired")),  # a wrong offset, but the text occurs once
        ("Paris", 62, (("Paris", 61), "repaired")),  # occurs twice: the one nearest the stated start
        ("Paris", 45, (None, AMBIGUOUS)),  # occurs twice, neither within WINDOW of the start
        ("Paris", None, (None, AMBIGUOUS)),
        ("Rhine", 4, (None, NOT_FOUND)),
        ("  ", 0, (None, EMPTY_ANSWER)),
    ],
)
def test_align_answer(text, start, expected):
    assert align_answer(CONTEXT, text, start) == expected


def test_span_example_checks_its_answers():
    example = SpanExample("q", "Where?", CONTEXT, (("Paris", 24),), "test")
    assert not example.is_impossible
    assert SpanExample("q", "Where?", CONTEXT, (), "test").is_impossible
    with pytest.raises(ValueError, match="not at 23"):
        SpanExample("q", "Where?", CONTEXT, (("Paris", 23),), "test")


def test_squad_format_drops_and_repairs(tmp_path):
    path = write_squad(
        tmp_path / "train.json",
        [
            (
                CONTEXT,
                [
                    qa("ok", "What flows through Paris?", [("Seine", 4), ("Seine", 4), ("The Seine", 0)]),
                    qa("space", "Which river?", [(" Seine", 3)]),
                    qa("gone", "Which sea?", [("Baltic", 10)]),
                    qa("blank", "   ", [("Seine", 4)]),
                    qa("ok", "Duplicate?", [("Seine", 4)]),
                    qa("v2", "Who built it?", [], is_impossible=True),
                    qa("none", "No answers?", []),
                    {"id": "broken", "answers": []},
                    qa("empty", "Empty answer?", [("", 0)]),
                ],
            ),
            ("   ", [qa("noctx", "Anything?", [("x", 0)])]),
        ],
    )
    examples, report = load_squad_spans([path], "tiny")
    assert [e.id for e in examples] == ["ok", "space", "v2"]
    assert examples[0].answers == (("Seine", 4), ("The Seine", 0))  # repeats removed
    assert examples[1].answers == (("Seine", 4),) and examples[2].is_impossible
    assert examples[0].title == "Seine" and examples[0].source == "tiny"
    assert (report.kept, report.unanswerable, report.answers_repaired) == (3, 1, 1)
    assert report.dropped == Counter(
        {
            NOT_FOUND: 1,
            EMPTY_QUESTION: 1,
            DUPLICATE_ID: 1,
            NO_ANSWER: 1,
            UNPARSABLE: 1,
            EMPTY_ANSWER: 1,
            EMPTY_CONTEXT: 1,
        }
    )
    assert report.read == 10 and "read 10, kept 3" in str(report)


def test_tydiqa_keeps_english_and_numbers_xtreme_ids(tmp_path):
    official = write_squad(
        tmp_path / "tydiqa-goldp-v1.1-train.json",
        [
            (CONTEXT, [qa("english-1-0", "Which river?", [("Seine", 4)])]),
            ("Москва — столица России.", [qa("russian-2-0", "Какая столица?", [("Москва", 0)])]),
        ],
    )
    xtreme = tmp_path / "tydiqa.goldp.en.train.json"
    xtreme.write_text(
        json.dumps(
            {
                "data": [
                    {"paragraphs": [{"context": CONTEXT, "qas": [qa("0", "Which river?", [("Seine", 4)])]}]},
                    {"paragraphs": [{"context": CONTEXT, "qas": [qa("0", "Which city?", [("Paris", 24)])]}]},
                    {
                        "paragraphs": [
                            {"context": "Москва.", "qas": [qa("1", "Какая столица?", [("Москва", 0)])]}
                        ]
                    },
                    {"paragraphs": [{"context": CONTEXT, "qas": [qa("2", "Dev copy?", [("", 0)])]}]},
                ]
            }
        )
    )
    examples, report = load_tydiqa([official, xtreme], "tydiqa-en")
    assert [e.id for e in examples] == [
        "tydiqa-goldp-v1.1-train-0-english-1-0",
        "tydiqa.goldp.en.train-0-0",
        "tydiqa.goldp.en.train-1-0",
    ]
    assert report.dropped == Counter({NON_ENGLISH: 2, EMPTY_ANSWER: 1})


def test_qed_answers_and_drops(tmp_path):
    def row(id, question, answers, context=CONTEXT):
        spans = [
            [{"start": s, "end": s + len(t), "string": t} for t, s in annotator] for annotator in answers
        ]
        return json.dumps(
            {
                "example_id": id,
                "title_text": "Seine",
                "question_text": question,
                "paragraph_text": context,
                "original_nq_answers": spans,
            }
        )

    path = tmp_path / "qed-dev.jsonlines"
    lines = [
        row(1, "which river flows through paris", [[("Seine", 4)], [("Seine", 4), ("Paris", 24)]]),
        row(2, "which rivers", [[("Seine", 4), ("Paris", 24)]]),
        row(3, "which sea", [[("Baltic", 4)]]),
        row(4, "", [[("Seine", 4)]]),
        '{"example_id": 5, "question_text": ',
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    examples, report = load_qed([path], "qed-dev")
    assert [(e.id, e.title, e.answers) for e in examples] == [("1", "Seine", (("Seine", 4),))]
    assert report.dropped == Counter({MULTI_SPAN: 1, NOT_FOUND: 1, EMPTY_QUESTION: 1, UNPARSABLE: 1})
    assert report.answers_dropped == Counter({MULTI_SPAN: 2, NOT_FOUND: 1})


SUBJQA_COLUMNS = [
    "item_id",
    "domain",
    "q_review_id",
    "question",
    "review",
    "human_ans_spans",
    "human_ans_indices",
]


def test_subjqa_merges_annotators_and_realigns(tmp_path):
    review = "The battery didn't last , sadly. Great screen though. ANSWERNOTFOUND"
    rows = [
        ["B1", "electronics", "qr1", "How is the battery?", review, "did n't last", "(12, 23)"],
        ["B1", "electronics", "qr1", "How is the battery?", review, "ANSWERNOTFOUND", "(55, 69)"],
        ["B1", "electronics", "qr2", "How is the price?", review, "ANSWERNOTFOUND", "(55, 69)"],
        ["B1", "electronics", "qr2", "How is the price?", review, "ANSWERNOTFOUND", "(55, 69)"],
        ["B1", "electronics", "qr3", "How is the case?", review, "the case is flimsy", "(0, 10)"],
        ["B1", "electronics", "qr4", " ", review, "Great screen", "(33, 45)"],
        ["B1", "electronics", "qr5"],
    ]
    path = tmp_path / "electronics_dev.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([SUBJQA_COLUMNS, *rows])
    examples, report = load_subjqa([path], "subjqa")
    battery, price = examples
    assert battery.answers == (("didn't last", 12),) and battery.title == "electronics/B1"
    assert price.is_impossible and price.context == "The battery didn't last , sadly. Great screen though."
    assert report.dropped == Counter({UNPARSABLE: 1, NOT_FOUND: 1, EMPTY_QUESTION: 1})
    assert (report.kept, report.unanswerable, report.answers_repaired) == (2, 1, 1)
    assert report.notes["annotation rows merged into their question"] == 2
    assert report.notes["questions whose annotators disagree on answerability"] == 1


def test_nothing_under_squad_dev_is_read(tmp_path, monkeypatch):
    dev = write_squad(
        tmp_path / "squad-dev" / "squad-v1.1-dev.json", [(CONTEXT, [qa("q", "Q?", [("Seine", 4)])])]
    )
    with pytest.raises(EvalDataLeak, match="squad-dev"):
        refuse_eval_data(dev)
    for loader in (load_squad_spans, load_tydiqa, load_qed, load_subjqa):
        with pytest.raises(EvalDataLeak):
            loader([dev], "leak")
    monkeypatch.setitem(
        READING_SETS, "leak", ReadingSet(load_squad_spans, (("squad-dev/squad-v1.1-dev.json",),))
    )
    with pytest.raises(EvalDataLeak):
        load_reading_training(["leak"], root=tmp_path)


def test_training_contexts_overlapping_squad_dev_are_dropped(tiny_data):
    dev = "Super Bowl 50 was won by the Denver Broncos."
    long_dev = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
    write_squad(tiny_data / "squad-dev" / "squad-v2.0-dev.json", [(long_dev, [])])
    paragraphs = [
        (
            "  super bowl 50 was WON by the Denver Broncos. ",
            [qa("same", "Who won?", [("Denver Broncos", 30)])],
        ),
        (f"Before: {long_dev[:-9]} after.", [qa("shared", "What is five?", [("five", 30)])]),
        (CONTEXT, [qa("new", "Which river?", [("Seine", 4)])]),
    ]
    write_squad(tiny_data / "squad-shifts" / "reddit_v1.0.json", paragraphs)
    check = SquadDevOverlap.from_data(tiny_data)
    assert check(dev) == OVERLAPS_DEV and check(CONTEXT) is None
    examples, reports = load_reading_training(["squad-shifts-reddit"], root=tiny_data)
    assert [e.id for e in examples] == ["new"]
    assert reports["squad-shifts-reddit"].dropped == Counter({OVERLAPS_DEV: 1, SHARES_DEV: 1})
    _, unchecked = load_reading_training(["squad-shifts-reddit"], root=tiny_data, check_squad_dev=False)
    assert unchecked["squad-shifts-reddit"].kept == 3


def test_reading_sets_resolve_files_and_name_downloads(tmp_path):
    with pytest.raises(DatasetMissing, match="wenda data download tydiqa-goldp-train"):
        reading_set_paths("tydiqa-en", tmp_path)
    official = write_squad(tmp_path / "tydiqa" / "tydiqa-goldp-v1.1-train.json", [])
    assert reading_set_paths("tydiqa-en", tmp_path) == [official]
    with pytest.raises(DatasetMissing, match="wenda data download squad-v1.1-train"):
        load_reading_training(["squad-v1.1-train"], root=tmp_path)
    with pytest.raises(KeyError, match="unknown reading set"):
        reading_set_paths("squad-v1.1-dev", tmp_path)


def test_default_sets_can_be_fetched_elsewhere():
    """Every required file has an official download, except the staged New-Wiki train half."""
    fetchable = {source.relpath for source in SOURCES.values()}
    missing = [
        candidates
        for name in DEFAULT_NAMES
        for candidates in READING_SETS[name].files
        if not fetchable.intersection(candidates)
    ]
    assert missing == [("squad-shifts/new_wiki_train_half.json",)]


def _examples(n: int) -> list[SpanExample]:
    return [
        SpanExample(f"q{i}", "Which river?", f"{CONTEXT} {i // 3}", (("Seine", 4),), "s", f"t{i // 6}")
        for i in range(n)
    ]


def test_split_held_out_is_deterministic_and_keeps_contexts_together():
    examples = _examples(3000)
    train, held = split_held_out(examples, fraction=0.2)
    assert {e.id for e in held} == {e.id for e in split_held_out(examples[::-1], fraction=0.2)[1]}
    assert sorted(e.id for e in train + held) == sorted(e.id for e in examples)
    assert not {e.context for e in train} & {e.context for e in held}
    assert 0.15 < len(held) / len(examples) < 0.25
    assert split_held_out(examples, fraction=0.2) == (train, held)
    train_t, held_t = split_held_out(examples, fraction=0.2, by="title")
    assert not {e.title for e in train_t} & {e.title for e in held_t}
    assert split_held_out(examples, 0.0)[1] == [] and split_held_out(examples, 1.0)[0] == []
    with pytest.raises(ValueError, match="'context' or 'title'"):
        split_held_out(examples, by="id")


def test_real_training_sets(data_dir):
    """Counts measured on ../shared/data; every kept answer is its context's span."""
    examples, reports = load_reading_training(root=data_dir)
    for report in reports.values():
        print(report)
    measured = {
        name: (r.kept, r.unanswerable, dict(r.dropped), r.answers_repaired) for name, r in reports.items()
    }
    assert measured == {
        "squad-shifts-amazon": (9885, 0, {}, 0),
        "squad-shifts-reddit": (9803, 0, {}, 0),
        "squad-shifts-new-wiki": (3864, 0, {}, 0),
        "tydiqa-en": (3689, 0, {EMPTY_ANSWER: 440, SHARES_DEV: 7}, 12),
        "mlqa-en-dev": (1143, 0, {SHARES_DEV: 5}, 0),
        "qed-dev": (1262, 0, {MULTI_SPAN: 92, SHARES_DEV: 1}, 0),
        "subjqa": (7722, 2935, {NOT_FOUND: 184}, 942),
        "covid-qa": (1380, 0, {}, 418),
    }
    assert len(examples) == 38748
    assert len({(e.source, e.id) for e in examples}) == len(examples)
    assert all(e.context[s : s + len(t)] == t and t == t.strip() for e in examples for t, s in e.answers)
    check = SquadDevOverlap.from_data(data_dir)
    assert not any(check(context) for context in {e.context for e in examples})
