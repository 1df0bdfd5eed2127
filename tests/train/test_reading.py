"""Training readers: answer-to-token alignment, training windows, and the CLI end to end on tiny
SQuAD-format files."""

from __future__ import annotations

import importlib.util
import json

import pytest

from tests.cli.test_cli import wenda

torch = pytest.importorskip("torch")

from wenda.data.reading import SpanExample  # noqa: E402
from wenda.nn.pretrained import MODULE  # noqa: E402
from wenda.read.base import TOKENIZER  # noqa: E402
from wenda.text import Tokenizer  # noqa: E402
from wenda.train.reading import answer_tokens, training_item  # noqa: E402

TOK = Tokenizer(TOKENIZER)


def _example(context: str, answer: str | None, question: str = "what is it?") -> SpanExample:
    answers = ((answer, context.index(answer)),) if answer else ()
    return SpanExample("q1", question, context, answers, "test")


def test_answer_tokens_cover_the_characters():
    spans = TOK.spans("The Seine, in Paris.")
    assert answer_tokens(spans, 4, len("Seine")) == (1, 1)
    assert answer_tokens(spans, 4, len("Seine, in Paris")) == (1, 3)
    assert answer_tokens(spans, 9, 1) is None  # the comma alone: no token


def test_training_window_holds_the_answer_a_quarter_in():
    """40 words, answer at word 30, windows of 8: begin = 30 - 8 // 4 = 28, so it sits at 2."""
    words = [f"w{i}" for i in range(40)]
    item = training_item(_example(" ".join(words), "w30"), TOK, 8, no_answer=False)
    question, window, start, end, has = item
    assert window == words[28:36] and (start, end, has) == (2, 2, True)
    near_end = training_item(_example(" ".join(words), "w39"), TOK, 8, no_answer=False)
    assert near_end[1] == words[32:40] and near_end[2] == 7


def test_unanswerable_and_too_long_answers():
    assert training_item(_example("a b c", None), TOK, 8, no_answer=False) is None
    assert training_item(_example("a b c", None), TOK, 8, no_answer=True)[4] is False
    long = " ".join(f"w{i}" for i in range(20))
    assert training_item(_example(long, long), TOK, 8, no_answer=False) is None


def _squad_file(path, paragraphs):
    data = {
        "version": "1.1",
        "data": [
            {
                "title": "t",
                "paragraphs": [
                    {
                        "context": c,
                        "qas": [
                            {
                                "id": f"q{i}-{j}",
                                "question": q,
                                "answers": [{"text": a, "answer_start": c.index(a)}],
                            }
                            for j, (q, a) in enumerate(qas)
                        ],
                    }
                    for i, (c, qas) in enumerate(paragraphs)
                ],
            }
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


PARAGRAPHS = [
    (
        f"The river {name} flows through {city} and then reaches the sea.",
        [(f"Which river flows through {city}?", name)],
    )
    for name, city in [
        ("Seine", "Paris"),
        ("Danube", "Vienna"),
        ("Thames", "London"),
        ("Tiber", "Rome"),
        ("Vltava", "Prague"),
        ("Spree", "Berlin"),
    ]
]


def train_tiny(tmp_path, monkeypatch, model: str, out, *settings: str, init=None) -> dict:
    """``wenda train reader`` on six tiny SQuAD-format paragraphs (as covid-qa, random vectors,
    batches of 2, one thread) with ``settings`` (key=value) on top, from the reader saved in
    ``init`` if given; its JSON report."""
    root = tmp_path / "data"
    _squad_file(root / "covid-qa" / "COVID-QA.json", PARAGRAPHS)
    monkeypatch.setenv("WENDA_DATA", str(root))
    flags = [x for kv in ("embeddings=random", "threads=1", "batch_size=2", *settings) for x in ("--set", kv)]
    flags += ["--init", str(init)] if init else []
    r = wenda(
        "train", "reader", "--model", model, "--data", "covid-qa", "--out", str(out), "-q", "--json", *flags
    )
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_train_and_eval_reader_cli(tmp_path, monkeypatch):
    root = tmp_path / "data"
    _squad_file(root / "squad-dev" / "squad-v1.1-dev.json", PARAGRAPHS[:2])
    out = tmp_path / "drqa"
    report = train_tiny(tmp_path, monkeypatch, "drqa", out, "epochs=2")
    assert report["epoch"] == 2 and 1 <= report["train_examples"] <= len(PARAGRAPHS)
    assert {"config.json", "model.safetensors", "vocab.json", "training.json", "calibration.json"} <= {
        p.name for p in out.iterdir()
    }
    r = wenda("eval", "reader", str(out), "--json")
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert result["questions"] == 2 and 0 <= result["f1"] <= 100 and 0 <= result["ece"] <= 1
    v2 = json.loads((root / "squad-dev" / "squad-v1.1-dev.json").read_text())
    v2["data"][0]["paragraphs"][0]["qas"].append({"id": "none", "question": "Who built it?", "answers": []})
    (root / "squad-dev" / "squad-v2.0-dev.json").write_text(json.dumps(v2))
    r = wenda("eval", "reader", str(out), "--dataset", "squad-v2.0-dev", "--precision", "bf16", "--json")
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert (result["HasAns_total"], result["NoAns_total"], result["total"]) == (2, 1, 3)
    assert 0 <= result["f1"] <= 100 and "no_abstention" in result
    r = wenda("eval", "reader", str(out), "--precision", "fp8")
    assert r.returncode == 2 and "precision must be one of fp32, bf16" in r.stderr
    tuned = tmp_path / "tuned"
    settings = ["--set", "threads=1", "--set", "batch_size=2", "--set", "epochs=1"]
    r = wenda(
        "train",
        "reader",
        "--model",
        "drqa",
        "--init",
        str(out),
        "--data",
        "covid-qa",
        "--out",
        str(tuned),
        "-q",
        "--json",
        *settings,
    )
    assert r.returncode == 0, r.stderr
    assert json.loads((tuned / "vocab.json").read_text()) == json.loads((out / "vocab.json").read_text())
    assert json.loads((tuned / "training.json").read_text())["init"] == str(out)
    r = wenda(
        "train",
        "reader",
        "--model",
        "bidaf",
        "--init",
        str(out),
        "--data",
        "covid-qa",
        "--out",
        str(tmp_path / "y"),
    )
    assert r.returncode == 2 and "holds a drqa reader, not bidaf" in " ".join(
        r.stderr.replace("│", " ").split()
    )
    r = wenda("train", "reader", "--model", "nosuch", "--out", str(tmp_path / "x"))
    assert r.returncode == 2 and "unknown read" in r.stderr


def _paragraph_examples() -> list[SpanExample]:
    return [
        SpanExample(f"q{i}", question, context, ((answer, context.index(answer)),), "test")
        for i, (context, [(question, answer)]) in enumerate(PARAGRAPHS)
    ]


def test_no_answer_readers_also_train_and_calibrate_on_distractors():
    from wenda.read.drqa import DrQAConfig
    from wenda.train.distractors import held_out_distractors
    from wenda.train.reading import ReadingTask
    from wenda.train.trainer import TrainConfig

    examples = _paragraph_examples()
    task = ReadingTask(examples, [], TrainConfig(no_answer_distractors=0.5), DrQAConfig(no_answer=True))
    unanswerable = [item for item in task.items if not item[4]]
    assert len(task.items) == len(examples) + len(unanswerable) and len(unanswerable) == 3
    for question, window, *_ in unanswerable:
        asked = next(ex for ex in examples if TOK.tokens(ex.question) == question)
        assert TOK.tokens(asked.answers[0][0])[0] not in window  # the distractor lacks the answer
    plain = ReadingTask(examples, [], TrainConfig(no_answer_distractors=0.5), DrQAConfig())
    assert all(item[4] for item in plain.items)
    extra = held_out_distractors(examples, 1.0)
    assert len(extra) == len(examples) and all(ex.is_impossible for ex in extra)
    for made, original in zip(extra, examples, strict=True):
        assert made.question == original.question and original.answers[0][0] not in made.context


def test_readers_train_with_their_classes_tokenization(tmp_path):
    """Word-vector readers read words; the MiniLM reader also reads punctuation marks, and a reader
    saved before that (without them) may start a run (``--init``), not one tokenized otherwise."""
    from dataclasses import replace

    import wenda.read  # noqa: F401  (registers every model)
    from wenda import registry
    from wenda.nn.modeldir import save_model
    from wenda.text.vocab import Vocab
    from wenda.train.setup import saved_model

    assert registry.get("read", "drqa").tokenizer_config() == TOKENIZER
    assert registry.get("read", "minilm").tokenizer_config() == replace(TOKENIZER, punctuation=True)
    cls = registry.get("read", "drqa")
    save_model(cls(cls.Config(), Vocab.build([["a", "b"]])), "read", TOKENIZER, tmp_path / "old")
    with_marks = replace(TOKENIZER, punctuation=True)
    assert saved_model(tmp_path / "old", "read", "drqa", with_marks, punctuation_may_differ=True)
    with pytest.raises(ValueError, match="tokenizes as"):
        saved_model(tmp_path / "old", "read", "drqa", with_marks)
    with pytest.raises(ValueError, match="tokenizes as"):
        saved_model(tmp_path / "old", "read", "drqa", replace(with_marks, stemmer="english"), True)


def test_punctuation_tokens_take_part_in_training_windows():
    from dataclasses import replace

    tok = Tokenizer(replace(TOKENIZER, punctuation=True))
    item = training_item(_example("It cost $1.5 million, in 1990.", "$1.5 million"), tok, 16, no_answer=False)
    question, window, start, end, _ = item
    assert question == ["what", "is", "it", "?"]
    assert window[start : end + 1] == ["$", "1", ".", "5", "million"] and window[-1] == "."


@pytest.mark.skipif(
    importlib.util.find_spec(MODULE) is None or importlib.util.find_spec("transformers") is None,
    reason="pip install 'wenda[minilm]'",
)
def test_minilm_reader_saved_without_punctuation_trains_on_with_it(tmp_path, monkeypatch):
    from wenda import registry
    from wenda.nn.modeldir import load_model, save_model
    from wenda.read.answer import load_reader
    from wenda.text.vocab import Vocab

    cls = registry.get("read", "minilm")
    old = tmp_path / "old"
    save_model(cls(cls.Config(max_passage_len=32), Vocab.build([["a"]])), "read", TOKENIZER, old)
    out = tmp_path / "new"
    train_tiny(tmp_path, monkeypatch, "minilm", out, "epochs=1", init=old)
    assert load_model(out, "read")[1].punctuation is True
    answers = load_reader(out).read(
        "Which river flows through Paris?", ["The Seine (a river) flows, slowly."]
    )
    passage = "The Seine (a river) flows, slowly."
    assert answers and passage[answers[0].start : answers[0].end] == answers[0].text
