"""Model directories (bad files give clear errors), the Reranker, and re-ranking in the pipeline."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")

import wenda  # noqa: E402
from wenda.collection import Collection  # noqa: E402
from wenda.nn.modeldir import ModelError, save_model  # noqa: E402
from wenda.pipeline import search  # noqa: E402
from wenda.rank import TOKENIZER  # noqa: E402
from wenda.rank.knrm import KNRM, KNRMConfig  # noqa: E402
from wenda.text.vocab import Vocab  # noqa: E402
from wenda.types import Hit  # noqa: E402


@pytest.fixture
def model_dir(tmp_path):
    torch.manual_seed(0)
    vocab = Vocab.build([["the", "seine", "flows", "through", "paris", "tea", "river"]], oov_buckets=8)
    model = KNRM(KNRMConfig(), vocab)
    save_model(model, "rank", TOKENIZER, tmp_path / "m")
    return tmp_path / "m"


def test_load_ranker_scores_raw_text(model_dir):
    ranker = wenda.load_ranker(model_dir)
    assert ranker.name == "knrm"
    scores = ranker.score("Which river flows through Paris?", ["The Seine flows through Paris.", "Tea.", ""])
    assert len(scores) == 3 and all(isinstance(s, float) for s in scores)
    assert ranker.score("q", []) == []


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / "config.json").unlink(), "no config.json"),
        (lambda d: (d / "config.json").write_text("{oops"), "corrupt"),
        (lambda d: (d / "model.safetensors").write_bytes(b"\x00" * 20), "model.safetensors: its contents differ"),
        (lambda d: (d / "model.safetensors").unlink(), "missing"),
        (lambda d: (d / "vocab.json").unlink(), "missing"),
    ],
)
def test_damaged_model_directory_is_a_clear_error(model_dir, damage, message):
    damage(model_dir)
    with pytest.raises(ModelError, match=message):
        wenda.load_ranker(model_dir)


def test_wrong_type_format_or_shapes_are_refused(model_dir):
    meta = json.loads((model_dir / "config.json").read_text())
    (model_dir / "config.json").write_text(json.dumps({**meta, "format": 99}))
    with pytest.raises(ModelError, match="format"):
        wenda.load_ranker(model_dir)
    (model_dir / "config.json").write_text(json.dumps({**meta, "type": "rank/nosuch"}))
    with pytest.raises(ModelError, match="unknown rank"):
        wenda.load_ranker(model_dir)
    (model_dir / "config.json").write_text(json.dumps({**meta, "config": {**meta["config"], "kernels": 5}}))
    with pytest.raises(ModelError, match="do not fit"):
        wenda.load_ranker(model_dir)


def test_rerank_reorders_hits_by_score(model_dir):
    ranker = wenda.load_ranker(model_dir)
    hits = [Hit(i, 1.0 - i / 10, i + 1, t, i, f"s{i}", "t", 0, len(t), "bm25") for i, t in enumerate(["tea", "the seine flows through paris"])]
    out = ranker.rerank("river through paris", hits)
    scores = ranker.score("river through paris", [h.text for h in hits])
    assert [h.passage_id for h in out] == sorted(range(2), key=lambda i: -scores[i])
    assert [h.rank for h in out] == [1, 2] and out[0].retriever == "bm25+knrm"


def test_pipeline_search_reranks_the_top_depth(model_dir, docs_dir, tmp_path):
    ranker = wenda.load_ranker(model_dir)
    with Collection.open_or_create(tmp_path / "idx") as col:
        col.add([docs_dir])
        plain = search(col, "tea river Seine Paris", k=3)
        reranked = search(col, "tea river Seine Paris", k=2, reranker=ranker, depth=3)
    assert len(plain) >= 2 and len(reranked) == 2
    assert {h.passage_id for h in reranked} <= {h.passage_id for h in plain}
    assert all(h.retriever.endswith("+knrm") for h in reranked)
