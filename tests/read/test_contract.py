"""The contract every registered reader keeps (STYLE §4): shapes, learning, gradients, persistence,
and the span loss's no-answer class.

A new model is covered by registering it; no new test is needed.
"""

from __future__ import annotations

import pytest

from tests.read.padding import WORDS, assert_padding_invariant

torch = pytest.importorskip("torch")

import wenda.read  # noqa: E402  (registers every model)
from wenda import registry  # noqa: E402
from wenda.nn.modeldir import load_model, save_model  # noqa: E402
from wenda.nn.pretrained import PretrainedMissing  # noqa: E402
from wenda.read.base import ReaderOutput, span_loss  # noqa: E402
from wenda.text.vocab import Vocab  # noqa: E402
from wenda.train.grouped import group_loss  # noqa: E402

# Four questions, each with a passage holding an obvious answer at (start, end), inclusive.
TINY = [
    ("where is paris", "paris is in france near the sea", 3, 3),
    ("what do cats eat", "cats eat fish and meat every day", 2, 4),
    ("who wrote hamlet", "hamlet was written by william shakespeare", 4, 5),
    ("how tall is everest", "everest is 8848 metres tall", 2, 3),
]
NAMES = registry.available("read")


def _vocab() -> Vocab:
    return Vocab.build([q.split() for q, *_ in TINY] + [p.split() for _, p, *_ in TINY], oov_buckets=16)


def _model(name: str, seed: int = 0, vocab: Vocab | None = None, **settings):
    torch.manual_seed(seed)
    cls = registry.get("read", name)
    try:
        return cls(cls.Config(**settings), vocab or _vocab())
    except PretrainedMissing as e:  # a pretrained reader without its weights' package
        pytest.skip(str(e))


def _batch(model, rows=TINY):
    output, mask = model.logits([q.split() for q, *_ in rows], [p.split() for _, p, *_ in rows])
    starts = torch.tensor([s for *_, s, _ in rows])
    ends = torch.tensor([e for *_, e in rows])
    return output, mask, starts, ends


def test_registry_lists_the_models():
    assert "drqa" in NAMES


@pytest.mark.parametrize("name", NAMES)
def test_output_shape_and_finite_on_edge_cases(name):
    model = _model(name, max_passage_len=50, no_answer=True).eval()
    questions = [[], ["paris"], ["where", "is", "paris"] * 20, ["unseen", "words"]]
    passages = [["paris", "is", "in", "france"], ["tea"], ["word"] * 500, []]
    with torch.no_grad():
        output, mask = model.logits(questions, passages)
    assert output.start.shape == output.end.shape == mask.shape == (4, 50)
    assert output.no_answer.shape == (4,)
    for logits in (output.start, output.end, output.no_answer):
        assert logits.dtype == torch.float32 and torch.isfinite(logits).all()
    spans, p_none = model.read_tokens(["paris"], passages, max_answer_len=3, top_k=2)
    assert len(spans) == 2 and 0.0 < p_none < 1.0


@pytest.mark.parametrize("name", NAMES)
def test_every_trainable_parameter_gets_a_gradient(name):
    model = _model(name).train()
    _loss(model, TINY, torch.ones(len(TINY), dtype=torch.bool)).backward()
    missing = [
        n
        for n, p in model.named_parameters()
        if p.requires_grad and (p.grad is None or not p.grad.abs().sum() > 0)
    ]
    assert not missing, f"no gradient reaches: {missing}"


def _loss(model, rows, has_answer):
    """The model's training loss on ``rows``: the span loss, or for readers that rank passages
    their group objective, each row's passage grouped with the next row's as a distractor (a row
    without an answer: a group whose passages all lack it)."""
    if model.rank_objective is None:
        output, mask, starts, ends = _batch(model, rows)
        return span_loss(output, mask, starts, ends, has_answer)
    groups = []
    for i, (question, passage, start, end) in enumerate(rows):
        other = rows[(i + 1) % len(rows)][1].split()
        gold = " ".join(passage.split()[start : end + 1])
        start, end = (start, end) if has_answer[i] else (-1, -1)
        groups.append((question.split(), [passage.split(), other], start, end, (gold,)))
    return group_loss(model, groups)


def _train(model, rows, has_answer, steps):
    lr = model.fine_tune_lr or 1e-2  # a pretrained reader fine-tunes at its own rate
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = _loss(model, rows, has_answer)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("name", NAMES)
def test_overfits_a_tiny_set(name):
    model = _model(name).train()
    losses = _train(model, TINY, torch.ones(len(TINY), dtype=torch.bool), 150)
    assert losses[-1] < 0.1 * losses[0]
    model.eval()
    for question, passage, start, end in TINY:
        spans, _ = model.read_tokens(question.split(), [passage.split()])
        assert (spans[0].start, spans[0].end) == (start, end), f"{question!r}: got {spans[0]}"


@pytest.mark.parametrize("name", NAMES)
def test_no_answer_head_learns_to_abstain(name):
    """Two answerable examples and an unanswerable one (its gold positions are ignored)."""
    rows = [*TINY[:2], ("who wrote hamlet", "everest is 8848 metres tall", 0, 0)]
    has_answer = torch.tensor([True, True, False])
    model = _model(name, no_answer=True).train()
    _train(model, rows, has_answer, 60)
    model.eval()
    _, p_none = model.read_tokens(rows[2][0].split(), [rows[2][1].split()])
    spans, p_none_answerable = model.read_tokens(rows[0][0].split(), [rows[0][1].split()])
    assert p_none > 0.5 > p_none_answerable
    assert (spans[0].start, spans[0].end) == (3, 3)


def test_span_loss_moves_an_unanswerable_example_to_the_no_answer_class():
    """Free logits, no model: gradient descent on span_loss raises softmax([s; z])[L]."""
    start = torch.zeros(1, 4, requires_grad=True)
    end = torch.zeros(1, 4, requires_grad=True)
    z = torch.zeros(1, requires_grad=True)
    mask = torch.tensor([[True, True, True, False]])
    optimizer = torch.optim.SGD([start, end, z], lr=0.5)
    for _ in range(50):
        optimizer.zero_grad()
        span_loss(
            ReaderOutput(start, end, z), mask, torch.tensor([0]), torch.tensor([0]), torch.tensor([False])
        ).backward()
        optimizer.step()
    p = torch.softmax(torch.cat([start[0, :3], z]), 0)
    assert p[-1] > 0.95
    assert start.grad[0, 3] == 0  # padding takes no part


def test_span_loss_hand_worked_and_skips_unanswerable_without_a_head():
    """Uniform logits over 3 real positions: each of start and end costs ln 3; with a no-answer
    logit of 0 appended there are 4 classes, ln 4 each. Without a head, the unanswerable second
    example is left out of the mean."""
    zeros, mask = torch.zeros(2, 4), torch.tensor([[True, True, True, False]] * 2)
    gold, has = torch.tensor([1, 1]), torch.tensor([True, False])
    plain = span_loss(ReaderOutput(zeros, zeros), mask, gold, gold, has)
    assert plain.item() == pytest.approx(2 * torch.log(torch.tensor(3.0)).item())
    headed = span_loss(ReaderOutput(zeros, zeros, torch.zeros(2)), mask, gold, gold, has)
    assert headed.item() == pytest.approx(2 * torch.log(torch.tensor(4.0)).item())


@pytest.mark.parametrize("name", NAMES)
def test_save_load_gives_identical_logits(name, tmp_path):
    model = _model(name, seed=3, no_answer=True).eval()
    save_model(model, "read", wenda.read.TOKENIZER, tmp_path / "m")
    loaded, tokenizer = load_model(tmp_path / "m", "read")
    assert tokenizer == wenda.read.TOKENIZER
    with torch.no_grad():
        a, b = _batch(model)[0], _batch(loaded)[0]
    for x, y in ((a.start, b.start), (a.end, b.end), (a.no_answer, b.no_answer)):
        assert torch.equal(x, y)


@pytest.mark.parametrize("name", NAMES)
def test_padding_does_not_change_a_pairs_logits(name):
    assert_padding_invariant(_model(name, vocab=Vocab.build([WORDS]), no_answer=True))


@pytest.mark.parametrize("name", NAMES)
def test_config_round_trip(name):
    cls = registry.get("read", name)
    config = cls.Config(no_answer=True)
    assert cls.Config.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="unknown"):
        cls.Config.from_dict({**config.to_dict(), "no_such_setting": 1})


@pytest.mark.parametrize("name", NAMES)
def test_questions_read_together_score_as_each_alone(name):
    """Batched evaluation (span_logits_many) must give every question what reading it alone gives,
    including the rank-weighted scores of readers that rank a question's passages."""
    cls = registry.get("read", name)
    rank = {"rank": True} if "rank" in cls.Config.__dataclass_fields__ else {}
    model = _model(name, no_answer=True, **rank).eval()
    passages = [p.split() for _, p, *_ in TINY]
    questions = [q.split() for q, *_ in TINY[:3]]
    groups = [[passages[0], passages[3]], [passages[1][:3]], [passages[2], passages[0], passages[1]]]
    together = model.span_logits_many(questions, groups)
    for question, group, got in zip(questions, groups, together, strict=True):
        alone = model.span_logits(question, group)
        for x, y in zip(got, alone, strict=True):
            assert x.shape == y.shape
            assert torch.allclose(
                x.masked_fill(~torch.isfinite(x), 0), y.masked_fill(~torch.isfinite(y), 0), atol=1e-5
            )

    rows = [q for q, group in zip(questions, groups, strict=True) for _ in group]
    flat = [p for group in groups for p in group]
    with torch.no_grad():
        (whole, mask), (chunked, chunked_mask) = (
            model.logits(rows, flat),
            model._logits_in_chunks(rows, flat, 2),
        )
    assert torch.equal(mask, chunked_mask)  # chunks go by passage length; rows come back in order
    assert torch.allclose(whole.start[mask], chunked.start[mask], atol=1e-5)
    assert torch.allclose(whole.end[mask], chunked.end[mask], atol=1e-5)
    assert torch.allclose(whole.no_answer, chunked.no_answer, atol=1e-5)
    if whole.rank is not None:
        assert torch.allclose(whole.rank, chunked.rank, atol=1e-5)
