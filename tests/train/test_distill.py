"""Knowledge distillation for readers (wenda.train.distill): the loss, and training with a teacher."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")

from tests.cli.test_cli import wenda  # noqa: E402
from tests.train.test_reading import _paragraph_examples, train_tiny  # noqa: E402
from wenda.read.base import ReaderOutput  # noqa: E402
from wenda.train.distill import Teacher, distill_loss  # noqa: E402
from wenda.train.trainer import TrainConfig  # noqa: E402


def _out(start, end) -> ReaderOutput:
    return ReaderOutput(torch.tensor(start, dtype=torch.float), torch.tensor(end, dtype=torch.float))


def test_distill_loss_is_zero_for_the_same_distributions_and_positive_otherwise():
    mask = torch.tensor([[True, True, True], [True, True, False]])
    teacher = _out([[1.0, 2.0, 0.0], [0.5, 0.0, 9.0]], [[0.0, 1.0, 3.0], [2.0, 1.0, 9.0]])
    same = _out([[2.0, 3.0, 1.0], [1.5, 1.0, -7.0]], [[1.0, 2.0, 4.0], [0.0, -1.0, 5.0]])  # shifted per row
    assert float(distill_loss(same, mask, teacher, mask, 2.0)) == pytest.approx(0.0, abs=1e-6)
    other = _out([[3.0, 0.0, 0.0], [0.0, 2.0, 0.0]], [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    assert float(distill_loss(other, mask, teacher, mask, 2.0)) > 0.1


def test_distill_loss_ignores_unseen_positions_and_empty_rows():
    s_mask = torch.tensor([[True, True, True, True], [False, False, False, False]])
    t_mask = torch.tensor([[True, True], [False, False]])  # the teacher saw only two words
    teacher = _out([[1.0, 2.0], [0.0, 0.0]], [[2.0, 1.0], [0.0, 0.0]])
    a = _out([[0.0, 1.0, 5.0, -5.0], [1.0, 2.0, 3.0, 4.0]], [[1.0, 0.0, 9.0, 9.0], [0.0, 0.0, 0.0, 0.0]])
    b = _out([[0.0, 1.0, -3.0, 8.0], [7.0, 2.0, 1.0, 0.0]], [[1.0, 0.0, -2.0, 0.0], [5.0, 5.0, 5.0, 5.0]])
    la, lb = distill_loss(a, s_mask, teacher, t_mask, 1.0), distill_loss(b, s_mask, teacher, t_mask, 1.0)
    assert float(la) == pytest.approx(0.0, abs=1e-6) and float(lb) == pytest.approx(0.0, abs=1e-6)
    start = torch.zeros(2, 4, requires_grad=True)
    loss = distill_loss(ReaderOutput(start, torch.zeros(2, 4)), s_mask, teacher, t_mask, 2.0)
    loss.backward()
    assert torch.isfinite(loss) and start.grad[0, :2].abs().sum() > 0
    assert start.grad[0, 2:].abs().sum() == 0 and start.grad[1].abs().sum() == 0


def test_a_reader_distilled_from_itself_has_no_soft_loss(tmp_path, monkeypatch):
    from wenda.nn.modeldir import load_model
    from wenda.train.reading import ReadingTask

    out = tmp_path / "drqa"
    train_tiny(tmp_path, monkeypatch, "drqa", out, "epochs=1")
    model, _ = load_model(out, "read")
    examples = _paragraph_examples()
    config = TrainConfig(distill_weight=1.0)
    task = ReadingTask(examples, [], config, model.config, teacher=Teacher(out))
    batch = task.items[:3]
    assert float(task.loss(model.eval(), batch)) == pytest.approx(0.0, abs=1e-5)
    half = ReadingTask(examples, [], TrainConfig(distill_weight=0.5), model.config, teacher=Teacher(out))
    gold = ReadingTask(examples, [], TrainConfig(), model.config)
    assert float(half.loss(model, batch)) == pytest.approx(0.5 * float(gold.loss(model, batch)), rel=1e-4)
    with pytest.raises(ValueError, match="distill_weight"):
        ReadingTask(examples, [], TrainConfig(distill_weight=1.5), model.config, teacher=Teacher(out))


def test_a_passage_ranking_reader_distils_on_each_group_s_gold_passage(tmp_path, monkeypatch):
    """S-Net with its ranking branch, taught by itself: the soft part is zero, so the loss is the
    ranking term alone at weight 1 and half the span loss plus that term at weight 0.5."""
    from wenda.nn.modeldir import load_model
    from wenda.read.base import TOKENIZER
    from wenda.train.grouped import OBJECTIVES, GroupReadingTask, _gold_span_loss, _group_logits

    out = tmp_path / "snet"
    train_tiny(tmp_path, monkeypatch, "snet", out, "epochs=1", "rank=true", "negatives=1")
    model, _ = load_model(out, "read")
    model.eval()

    def task(weight):
        config = TrainConfig(distill_weight=weight)
        return GroupReadingTask(_paragraph_examples(), [], config, model.config, TOKENIZER, 2, Teacher(out))

    batch = task(1.0).items[:3]
    assert all(len(g[1]) == 2 and g[2] >= 0 for g in batch)
    output, mask, owner = _group_logits(model, batch)
    ranking = float(OBJECTIVES["supervised"](model, output, mask, owner, batch))
    span = float(_gold_span_loss(output, mask, batch))
    assert float(task(1.0).loss(model, batch)) == pytest.approx(ranking, abs=1e-5)
    assert float(task(0.5).loss(model, batch)) == pytest.approx(0.5 * span + ranking, rel=1e-4)


def test_train_reader_cli_with_a_teacher(tmp_path, monkeypatch):
    teacher = tmp_path / "teacher"
    train_tiny(tmp_path, monkeypatch, "drqa", teacher, "epochs=1")
    student = tmp_path / "student"
    report = train_tiny(tmp_path, monkeypatch, "bidaf", student, "epochs=1", "distill_weight=0.7")
    assert "teacher" not in report
    flags = ["--set", "embeddings=random", "--set", "threads=1", "--set", "batch_size=2", "--set", "epochs=1"]
    args = ["train", "reader", "--data", "covid-qa", "-q", "--json", "--teacher", str(teacher), *flags]
    r = wenda(*args, "--model", "ga_reader", "--out", str(tmp_path / "ga"))
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "ga" / "training.json").read_text())["teacher"] == str(teacher)
    r = wenda(*args, "--model", "r3", "--out", str(tmp_path / "r3"))  # groups of passages distil too
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "r3" / "training.json").read_text())["teacher"] == str(teacher)
    r = wenda(*args, "--model", "drqa", "--out", str(tmp_path / "bad"), "--set", "distill_temperature=0")
    assert r.returncode == 2 and "distill_temperature" in r.stderr


def test_the_teacher_reads_each_window_once_and_its_cache_changes_nothing(tmp_path, monkeypatch):
    from wenda.nn.modeldir import load_model
    from wenda.train.reading import ReadingTask

    out = tmp_path / "drqa"
    train_tiny(tmp_path, monkeypatch, "drqa", out, "epochs=1")
    student, _ = load_model(out, "read")
    examples = _paragraph_examples()
    cached, fresh = Teacher(out), Teacher(out, cache=False)
    task = ReadingTask(examples, [], TrainConfig(distill_weight=1.0), student.config, teacher=cached)
    batch = [(q[:-1] if i % 2 else q, w, s, e, h) for i, (q, w, s, e, h) in enumerate(task.items[:4])]
    questions, windows = [b[0] for b in batch], [b[1] for b in batch]
    calls = []
    forward = cached.model.logits
    monkeypatch.setattr(cached.model, "logits", lambda q, w: calls.append(len(q)) or forward(q, w))
    first = cached.logits(questions[:3], windows[:3], "cpu")
    again = cached.logits(questions, windows, "cpu")
    assert calls == [3, 1] and len(cached.cache) == 4  # only the new window read the second time
    reference = fresh.logits(questions, windows, "cpu")
    for got, want in ((again, reference), (first, fresh.logits(questions[:3], windows[:3], "cpu"))):
        width = want[1].sum(1)
        assert torch.equal(got[1].sum(1), width)
        for i, n in enumerate(width.tolist()):
            assert torch.allclose(got[0].start[i, :n], want[0].start[i, :n], atol=1e-5)
            assert torch.allclose(got[0].end[i, :n], want[0].end[i, :n], atol=1e-5)
    assert float(task.loss(student.eval(), batch)) == pytest.approx(0.0, abs=1e-5)
    bf16 = Teacher(out, precision="bf16").logits(questions, windows, "cpu")
    assert bf16[0].start.dtype == torch.float32 and torch.equal(bf16[1], reference[1])
    with pytest.raises(Exception, match="precision"):
        Teacher(out, precision="fp8")


def test_a_teacher_may_read_punctuation_its_student_does_not(tmp_path):
    """A teacher saved with punctuation tokens (as the MiniLM reader is) teaches a word-only student
    from the student's own windows; a teacher that tokenizes otherwise (stems) is refused."""
    from dataclasses import replace

    from wenda import registry
    from wenda.nn.modeldir import save_model
    from wenda.read.base import TOKENIZER
    from wenda.text.vocab import Vocab

    cls = registry.get("read", "drqa")
    model = cls(cls.Config(), Vocab.build([["the", "seine", "flows"]]))
    save_model(model, "read", replace(TOKENIZER, punctuation=True), tmp_path / "marks")
    teacher = Teacher(tmp_path / "marks")
    output, seen = teacher.logits([["which", "river"]], [["the", "seine", "flows"]], "cpu")
    assert output.start.shape == (1, 3) and bool(seen.all())
    save_model(model, "read", replace(TOKENIZER, stemmer="english"), tmp_path / "stems")
    with pytest.raises(ValueError, match="must tokenize as its student does"):
        Teacher(tmp_path / "stems")


def test_a_punctuation_teacher_reads_the_training_window_s_text_with_its_marks(tmp_path, monkeypatch):
    """When the task records each training window's text, a teacher that reads punctuation reads it
    marks and all, and its logits are kept at the student's words; a window without its text (a
    distractor) is read as the student's words."""
    from dataclasses import replace

    from wenda import registry
    from wenda.data.reading import SpanExample
    from wenda.nn.modeldir import save_model
    from wenda.read.base import TOKENIZER
    from wenda.text import Tokenizer
    from wenda.text.vocab import Vocab
    from wenda.train.reading import training_item

    cls = registry.get("read", "drqa")
    model = cls(cls.Config(), Vocab.build([["the", "seine", "flows", "through", "paris", ",", "."]]))
    marks = replace(TOKENIZER, punctuation=True)
    save_model(model, "read", marks, tmp_path / "marks")
    teacher = Teacher(tmp_path / "marks")
    context = "Well, the Seine (a river) flows through Paris. It is long."
    example = SpanExample("q", "Which river, then?", context, (("Seine", context.index("Seine")),), "test")
    question, window, start, end, _ = training_item(example, Tokenizer(TOKENIZER), 6, False, teacher.texts)
    assert window[start : end + 1] == ["seine"] and len(teacher.texts) == 1
    read = []
    forward = teacher.model.logits
    monkeypatch.setattr(teacher.model, "logits", lambda q, w: read.append((q, w)) or forward(q, w))
    output, seen = teacher.logits([question, question], [window, ["the", "seine"]], "cpu")
    own = Tokenizer(marks)
    text_window = own.tokens(context[context.index("the") : context.index("through") + 7])
    assert read == [([own.tokens(example.question), question], [text_window, ["the", "seine"]])]
    assert ")" in text_window and "(" in text_window and not teacher.texts  # read once, then dropped
    words = [i for i, t in enumerate(text_window) if t.isalnum()]
    direct, _ = forward([own.tokens(example.question)], [text_window])
    assert output.start.shape == (2, len(window)) and bool(seen[0].all()) and seen[1].sum() == 2
    assert torch.allclose(output.start[0], direct.start[0, words], atol=1e-5)
    assert torch.allclose(output.end[0], direct.end[0, words], atol=1e-5)
