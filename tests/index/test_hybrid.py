"""Hybrid search (``Collection._hybrid``): BM25, TF-IDF when asked for, and the learned retriever,
fused with the weights the settings give each run."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from wenda.collection import Collection  # noqa: E402
from wenda.config import Settings  # noqa: E402
from wenda.index.fusion import reciprocal_rank_fusion  # noqa: E402

from .corpora import QUERIES, random_encoder, write_docs  # noqa: E402


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    root = tmp_path_factory.mktemp("hybrid")
    write_docs(root / "docs", 30)
    params = {"dense": {"encoder": str(random_encoder(root, 0))}}
    with Collection.open_or_create(root / "idx", ["bm25", "tfidf", "dense"], params=params) as col:
        col.add([root / "docs"])
    return root / "idx"


def _fused(col: Collection, query: str, weights: list[float], names: list[str]) -> list[int]:
    runs = [col._search_with(name, query, 100) for name in names]
    return [pid for pid, _ in reciprocal_rank_fusion(runs, weights=weights, depth=10)]


@pytest.mark.parametrize(
    ("tfidf", "names", "weights"),
    [
        (0.0, ["bm25", "dense"], [0.3, 0.7]),  # TF-IDF's share 0: the two-run fusion as before
        (0.6, ["bm25", "tfidf", "dense"], [0.5 * 0.4, 0.5 * 0.6, 0.5]),
        (1.0, ["tfidf", "dense"], [0.5, 0.5]),  # BM25's share 0: left out
    ],
)
def test_hybrid_fuses_the_runs_with_the_settings_weights(index, tfidf, names, weights):
    weight = 0.7 if tfidf == 0.0 else 0.5
    with Collection.open(index, Settings(hybrid_weight=weight, hybrid_tfidf=tfidf)) as col:
        assert col._hybrid_runs() == (names, pytest.approx(weights))
        for q in QUERIES:
            hits = col.search(q, 10, "hybrid")
            assert [h.passage_id for h in hits] == _fused(col, q, weights, names)
            assert {h.retriever for h in hits} == {"+".join(names)}


def test_tfidf_share_is_ignored_where_the_index_has_no_tfidf(tmp_path):
    write_docs(tmp_path / "docs", 10)
    params = {"dense": {"encoder": str(random_encoder(tmp_path, 0))}}
    cfg = Settings(hybrid_weight=0.5, hybrid_tfidf=0.6)
    with Collection.open_or_create(tmp_path / "idx", ["bm25", "dense"], cfg, params) as col:
        col.add([tmp_path / "docs"])
        assert col._hybrid_runs() == (["bm25", "dense"], [0.5, 0.5])
        assert col.search("river engine", 3, "hybrid")


def test_learned_retrievers_read_titles_too(tmp_path):
    """``index_titles`` reaches the encoder: the same passages get other vectors, so other scores."""
    write_docs(tmp_path / "docs", 10)
    params = {"dense": {"encoder": str(random_encoder(tmp_path, 0))}}
    scores = {}
    for titles in (False, True):
        cfg = Settings(index_titles=titles)
        with Collection.open_or_create(tmp_path / f"idx-{titles}", ["bm25", "dense"], cfg, params) as col:
            col.add([tmp_path / "docs"])
            assert col.retriever("dense").params.get("titles", False) is titles
            scores[titles] = sorted(h.score for h in col.search("river engine", 10, "dense"))
    assert scores[True] != scores[False]
