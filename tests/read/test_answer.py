"""Serving a reader: windows over long passages and answers mapped back to the original text."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import wenda  # noqa: E402
import wenda.read  # noqa: E402
from wenda import registry  # noqa: E402
from wenda.nn.modeldir import save_model  # noqa: E402
from wenda.read.answer import windows  # noqa: E402
from wenda.text.vocab import Vocab  # noqa: E402


def test_windows_overlap_by_half_and_cover_the_end():
    tokens = [(f"t{i}", i, i + 1) for i in range(10)]
    starts = [w[2][0][0] for w in windows(tokens, 4, passage=7)]
    assert starts == [0, 2, 4, 6]
    assert windows(tokens, 4, 7)[-1][1] == ["t6", "t7", "t8", "t9"]
    assert [w[1] for w in windows(tokens[:3], 4, 0)] == [["t0", "t1", "t2"]]
    assert windows([], 4, 0) == [(0, [], [])]


def test_load_reader_answers_are_exact_substrings(tmp_path):
    torch.manual_seed(0)
    cls = registry.get("read", "drqa")
    config = cls.Config(max_passage_len=6)
    vocab = Vocab.build([["zürich", "liegt", "am", "see"]], oov_buckets=8)
    save_model(cls(config, vocab), "read", wenda.read.TOKENIZER, tmp_path / "r")
    reader = wenda.load_reader(tmp_path / "r")
    passages = ["Zürich liegt am Zürichsee, einem langen See in der Schweiz, nahe den Alpen.", "", "Kurz."]
    answers = reader.read("Wo liegt Zürich?", passages, top_k=5)
    assert 1 <= len(answers) <= 5
    for a in answers:
        assert passages[a.passage][a.start : a.end] == a.text and a.text
        assert 0 <= a.prob <= 1
    assert answers == sorted(answers, key=lambda a: -a.prob)
    assert reader.read("q", []) == [] and reader.read("q", [""]) == []


def test_read_many_answers_each_question_as_read_does(tmp_path):
    torch.manual_seed(0)
    cls = registry.get("read", "drqa")
    vocab = Vocab.build([["zürich", "liegt", "am", "see", "bern", "ist", "die", "hauptstadt"]], oov_buckets=8)
    save_model(
        cls(cls.Config(max_passage_len=6, no_answer=True), vocab),
        "read",
        wenda.read.TOKENIZER,
        tmp_path / "r",
    )
    reader = wenda.load_reader(tmp_path / "r")
    questions = ["Wo liegt Zürich?", "Was ist Bern?", "Leer?"]
    passages = [
        ["Zürich liegt am Zürichsee, einem langen See in der Schweiz.", "Kurz."],
        ["Bern ist die Hauptstadt der Schweiz."],
        [""],
    ]
    many = reader.read_many(questions, passages, top_k=3)
    for question, group, (answers, _) in zip(questions, passages, many, strict=True):
        alone = reader.read(question, group, top_k=3)
        assert [(a.text, a.passage, a.start, a.end) for a in answers] == [
            (a.text, a.passage, a.start, a.end) for a in alone
        ]
        assert [a.prob for a in answers] == pytest.approx([a.prob for a in alone], abs=1e-5)
    assert many[2] == ([], None)


def test_evidence_is_the_span_distributions_marginals(tmp_path):
    torch.manual_seed(0)
    cls = registry.get("read", "drqa")
    vocab = Vocab.build([["zürich", "liegt", "am", "see"]], oov_buckets=8)
    save_model(cls(cls.Config(no_answer=True), vocab), "read", wenda.read.TOKENIZER, tmp_path / "r")
    reader = wenda.load_reader(tmp_path / "r")
    passage = "Zürich liegt am Zürichsee, in der Schweiz."
    evidence = reader.evidence("Wo liegt Zürich?", passage)
    assert [(b, e) for b, e, _, _ in evidence] == [(b, e) for _, b, e in reader.tokenizer.spans(passage)]
    p_none = reader.read("Wo liegt Zürich?", [passage])[0].no_answer
    for column in (2, 3):  # starts, ends: with "no answer", one distribution
        assert sum(x[column] for x in evidence) + p_none == pytest.approx(1.0, abs=1e-4)
    assert reader.evidence("q", "") == []


def test_bf16_reading_matches_fp32_closely(tmp_path):
    torch.manual_seed(0)
    cls = registry.get("read", "qanet")  # convolutions and attention: products autocast to bf16
    vocab = Vocab.build([["zürich", "liegt", "am", "see", "in", "der", "schweiz"]], oov_buckets=8)
    save_model(cls(cls.Config(max_passage_len=12), vocab), "read", wenda.read.TOKENIZER, tmp_path / "r")
    passages = ["Zürich liegt am Zürichsee, einem langen See in der Schweiz, nahe den Alpen.", "Kurz."]
    fp32, bf16 = (wenda.load_reader(tmp_path / "r", precision=p) for p in ("fp32", "bf16"))
    (a32, l32), (a16, l16) = (r.read_with_logits("Wo liegt Zürich?", passages, 5) for r in (fp32, bf16))
    assert l16[0].dtype == torch.float32 and not torch.equal(l16[0], l32[0])  # bf16 ran, decoded in fp32
    assert torch.allclose(l16[0], l32[0], atol=0.1)
    for a in a16:
        assert passages[a.passage][a.start : a.end] == a.text and 0 <= a.prob <= 1
    assert abs(a16[0].prob - a32[0].prob) < 0.05
    e32, e16 = (r.evidence("Wo liegt Zürich?", passages[0]) for r in (fp32, bf16))
    assert [x[:2] for x in e16] == [x[:2] for x in e32]
    assert max(abs(x[2] - y[2]) for x, y in zip(e16, e32, strict=True)) < 0.05


def test_unknown_precision_is_a_clear_error(tmp_path):
    cls = registry.get("read", "drqa")
    save_model(cls(cls.Config(), Vocab.build([["a"]])), "read", wenda.read.TOKENIZER, tmp_path / "r")
    with pytest.raises(wenda.errors.WendaError, match="precision must be one of fp32, bf16"):
        wenda.load_reader(tmp_path / "r", precision="int4")


def test_score_questions_batches_by_length_but_keeps_the_items_order(tmp_path):
    from wenda.read.calibrate import score_questions

    torch.manual_seed(0)
    cls = registry.get("read", "drqa")
    vocab = Vocab.build([["zürich", "liegt", "am", "see", "bern", "ist", "die", "hauptstadt"]], oov_buckets=8)
    save_model(cls(cls.Config(max_passage_len=6), vocab), "read", wenda.read.TOKENIZER, tmp_path / "r")
    reader = wenda.load_reader(tmp_path / "r")
    items = [
        (
            "Wo liegt Zürich?",
            ["Zürich liegt am Zürichsee, einem langen See in der Schweiz, nahe den Alpen."],
            ["a"],
        ),
        ("Was ist Bern?", ["Bern ist die Hauptstadt."], ["b"]),
        ("Und Zürich?", ["Zürich am See."], ["c"]),
        ("Leer?", [""], ["d"]),
    ]
    scored = score_questions(reader, items, batch=2)  # the short ones are read together, first
    assert [s.golds for s in scored] == [("a",), ("b",), ("c",), ("d",)]
    for (question, passages, _), s in zip(items, scored, strict=True):
        alone = score_questions(reader, [(question, passages, [])], batch=1)[0]
        assert s.text == alone.text and s.scores == pytest.approx(alone.scores, abs=1e-5)
