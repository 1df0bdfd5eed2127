"""The contract every registered ranker keeps (STYLE §4): shapes, learning, gradients, persistence.

A new model is covered by registering it; no new test is needed.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import wenda.rank  # noqa: E402  (registers every model)
from wenda import registry  # noqa: E402
from wenda.nn.modeldir import load_model, save_model  # noqa: E402
from wenda.text.vocab import Vocab  # noqa: E402
from wenda.train.losses import softmax  # noqa: E402

# Four queries, each with one relevant text (sharing words with it) and two that share none.
TINY = [
    ("where is paris", ["paris is in france", "tea grows in china", "a cat sat down"]),
    ("what do cats eat", ["cats eat fish and meat", "the river is long", "green tea leaves"]),
    ("who wrote hamlet", ["hamlet was written by shakespeare", "bread is baked", "rain falls"]),
    ("how tall is everest", ["everest is the tallest mountain", "ships sail the sea", "birds fly south"]),
]
NAMES = registry.available("rank")


def _vocab() -> Vocab:
    texts = [q.split() for q, _ in TINY] + [d.split() for _, docs in TINY for d in docs]
    return Vocab.build(texts, oov_buckets=16)


def _model(name: str, seed: int = 0):
    torch.manual_seed(seed)
    cls = registry.get("rank", name)
    return cls(cls.Config(), _vocab())


def _group_scores(model) -> torch.Tensor:
    queries = [q.split() for q, docs in TINY for _ in docs]
    docs = [d.split() for _, ds in TINY for d in ds]
    return model.score(queries, docs).view(len(TINY), 3)  # [G, 1 + n]


def test_registry_lists_the_models():
    assert len(NAMES) >= 1 and "knrm" in NAMES


@pytest.mark.parametrize("name", NAMES)
def test_output_shape_and_finite_on_edge_cases(name):
    model = _model(name).eval()
    queries = [["paris"], [], ["where", "is", "paris"] * 20, ["unseen", "words"]]
    docs = [["paris", "is", "in", "france"], ["tea"], [], ["word"] * 500]
    with torch.no_grad():
        scores = model.score(queries, docs)
    assert scores.shape == (4,)
    assert scores.dtype == torch.float32
    assert torch.isfinite(scores).all()


@pytest.mark.parametrize("name", NAMES)
def test_every_trainable_parameter_gets_a_gradient(name):
    model = _model(name).train()
    softmax(_group_scores(model)).backward()
    missing = [n for n, p in model.named_parameters() if p.requires_grad and (p.grad is None or not p.grad.abs().sum() > 0)]
    assert not missing, f"no gradient reaches: {missing}"


@pytest.mark.parametrize("name", NAMES)
def test_overfits_a_tiny_set(name):
    model = _model(name).train()
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    first = None
    for _ in range(150):
        optimizer.zero_grad()
        loss = softmax(_group_scores(model))
        first = first if first is not None else loss.item()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        scores = _group_scores(model)
    assert loss.item() < 0.5 * first
    assert (scores[:, 0:1] > scores[:, 1:]).all(), f"relevant text not ranked first: {scores}"


@pytest.mark.parametrize("name", NAMES)
def test_save_load_gives_identical_scores(name, tmp_path):
    model = _model(name, seed=3).eval()
    save_model(model, "rank", wenda.rank.TOKENIZER, tmp_path / "m")
    loaded, tokenizer = load_model(tmp_path / "m", "rank")
    assert tokenizer == wenda.rank.TOKENIZER
    with torch.no_grad():
        assert torch.equal(_group_scores(model), _group_scores(loaded))


@pytest.mark.parametrize("name", NAMES)
def test_config_round_trip(name):
    cls = registry.get("rank", name)
    config = cls.Config()
    assert cls.Config.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="unknown"):
        cls.Config.from_dict({**config.to_dict(), "no_such_setting": 1})
