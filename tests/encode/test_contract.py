"""The contract every registered dual encoder keeps (STYLE §4), with float vectors and with a BPR
hash layer: shapes, padding independence, gradients, learning, persistence, config round trip.

A new model is covered by registering it; no new test is needed. A model whose optional package is
missing is skipped. A pretrained model (one with a ``fixed_dim``, fine-tuned at its ``fine_tune_lr``)
keeps its own output size, and its overfitting test pairs each query with another query's passage:
it pairs the word-sharing ones correctly before any training.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import wenda.encode  # noqa: E402  (registers every model)
from wenda import registry  # noqa: E402
from wenda.errors import WendaError  # noqa: E402
from wenda.hashing import binarize  # noqa: E402
from wenda.nn.modeldir import load_model, save_model  # noqa: E402
from wenda.text.vocab import Vocab  # noqa: E402

# Four queries, each with its passage (sharing words with it).
TINY = [
    ("where is paris", "paris is in france"),
    ("what do cats eat", "cats eat fish and meat"),
    ("who wrote hamlet", "hamlet was written by shakespeare"),
    ("how tall is everest", "everest is the tallest mountain"),
]
NAMES = registry.available("encode")
CASES = [(name, bits) for name in NAMES for bits in (0, 16)]


def _vocab() -> Vocab:
    return Vocab.build([t.split() for pair in TINY for t in pair], oov_buckets=16)


def _model(name: str, bits: int = 0, seed: int = 0, **settings):
    torch.manual_seed(seed)
    cls = registry.get("encode", name)
    if not cls.fixed_dim:
        settings = {"dim": 32, **settings}
    try:
        return cls(cls.Config(bits=bits, **settings), _vocab())
    except ImportError as exc:  # an optional package (pretrained weights) is not installed
        if not isinstance(exc, WendaError):
            raise
        pytest.skip(str(exc))


def _split(texts):
    return [t.split() for t in texts]


def test_registry_lists_the_models():
    assert {"dssm", "cdssm", "bilstm", "cnn"} <= set(NAMES)


@pytest.mark.parametrize(("name", "bits"), CASES)
def test_vectors_shape_and_finite_on_edge_cases(name, bits):
    model = _model(name, bits)
    texts = [["paris"], [], ["where", "is", "paris"] * 60, ["unseen", "wörds", "中文"]]
    for side in ("query", "passage"):
        v = model.vectors(texts, side, batch_size=3)
        assert v.shape == (4, model.out_dim) and v.dtype == np.float32
        assert np.isfinite(v).all()
    assert model.vectors([], "query").shape == (0, model.out_dim)


@pytest.mark.parametrize(("name", "bits"), CASES)
def test_a_text_encodes_the_same_alone_or_beside_a_longer_one(name, bits):
    model = _model(name, bits).eval()
    alone = model.vectors([["cats", "eat", "fish"]], "passage")
    padded = model.vectors([["cats", "eat", "fish"], ["a"] * 40], "passage")[:1]
    np.testing.assert_allclose(alone, padded, atol=1e-5)
    # batches go by length; the rows come back in the texts' order
    texts = [["a"] * 30, ["cats"], ["where", "is", "paris"], ["a"] * 9, ["fish", "eat"]]
    together = model.vectors(texts, "passage", batch_size=2)
    each = np.concatenate([model.vectors([t], "passage") for t in texts])
    np.testing.assert_allclose(together, each, atol=1e-5)


@pytest.mark.parametrize(("name", "bits"), CASES)
def test_every_trainable_parameter_gets_a_gradient(name, bits):
    model = _model(name, bits).train()
    queries, passages = zip(*TINY, strict=True)
    model.loss(_split(queries), _split(passages)).backward()
    missing = [
        n for n, p in model.named_parameters() if p.requires_grad and (p.grad is None or not p.grad.abs().sum() > 0)
    ]
    assert not missing, f"no gradient reaches: {missing}"


@pytest.mark.parametrize(("name", "bits"), CASES)
def test_overfits_a_tiny_set(name, bits):
    model = _model(name, bits).train()
    lr = model.fine_tune_lr or 1e-2
    # fused: the same updates in one kernel, 5x faster a step for a 22M-parameter transformer
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr, fused=True)
    queries, passages = (_split(x) for x in zip(*TINY, strict=True))
    if model.fine_tune_lr:  # pretrained: it must learn pairs it does not already make
        passages = passages[1:] + passages[:1]
    losses = []
    for _ in range(60):
        optimizer.zero_grad()
        loss = model.loss(queries, passages)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    q, p = model.vectors(queries, "query"), model.vectors(passages, "passage")
    if bits:  # the index scores the continuous query against the passages' binary codes
        p = binarize(torch.from_numpy(p)).numpy()
    assert losses[-1] < 0.5 * losses[0]
    assert ((q @ p.T).argmax(1) == np.arange(len(TINY))).all(), "a query's own passage is not its best"


@pytest.mark.parametrize(("name", "bits"), CASES)
def test_save_load_gives_identical_vectors(name, bits, tmp_path):
    model = _model(name, bits, seed=3)
    if bits:
        model.hash.step += 7  # the continuation schedule is saved too
    save_model(model, "encode", wenda.encode.TOKENIZER, tmp_path / "m")
    loaded, tokenizer = load_model(tmp_path / "m", "encode")
    assert tokenizer == wenda.encode.TOKENIZER
    texts = _split([t for pair in TINY for t in pair])
    np.testing.assert_array_equal(model.vectors(texts, "query"), loaded.vectors(texts, "query"))
    if bits:
        assert int(loaded.hash.step) == 7


@pytest.mark.parametrize("name", NAMES)
def test_config_round_trip(name):
    import json

    cls = registry.get("encode", name)
    config = cls.Config(bits=64)
    assert cls.Config.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    with pytest.raises(ValueError, match="unknown"):
        cls.Config.from_dict({**config.to_dict(), "no_such_setting": 1})


@pytest.mark.parametrize("name", [n for n in NAMES if registry.get("encode", n).fixed_dim])
def test_a_pretrained_tower_keeps_its_dim(name):
    cls = registry.get("encode", name)
    with pytest.raises(ValueError, match=f"dim {cls.fixed_dim}"):
        cls(cls.Config(dim=cls.fixed_dim + 1), _vocab())


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="multiple of 8"):
        _model("cnn", bits=12)
    with pytest.raises(ValueError, match="similarity"):
        _model("cnn", similarity="euclid")
