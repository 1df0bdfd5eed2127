"""DrQA TF-IDF: a hand-worked example, parity with a dense reference, incremental segments, crashes."""

from __future__ import annotations

import json
import random
from pathlib import Path

import mmh3
import numpy as np
import pytest
import scipy.sparse as sp

from wenda import registry
from wenda.errors import IndexError_
from wenda.index import tfidf
from wenda.index.base import Op, Retriever
from wenda.index.tfidf import TfidfRetriever
from wenda.text import Tokenizer, TokenizerConfig

PLAIN = TokenizerConfig(stopwords=None, stemmer=None)  # terms are the words: easy to reason about
WORDS = "river city paris seine tea green black engine planet moon ring ice water north sea port".split()  # noqa: SIM905
QUERIES = ["paris seine river", "green tea water", "moon ring ice planet north", "sea", "port port city"]


def _corpus(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choices(WORDS, k=rng.randint(0, 30))) for _ in range(n)]


def _build(path: Path, texts: dict[int, str], **params) -> TfidfRetriever:
    r = TfidfRetriever.create(path, PLAIN, **params)
    r.apply([Op(n + 1, pid, text) for n, (pid, text) in enumerate(sorted(texts.items()))])
    return r


def _dense_reference(texts: dict[int, str], query: str, hash_size: int, idf: str) -> list[tuple[int, float]]:
    """DrQA's formulas over the whole corpus, with scipy: count matrix, log1p tf, idf, dot product."""
    tok, pids = Tokenizer(PLAIN), sorted(texts)

    def hashed(text: str) -> list[int]:
        t = tok.tokens(text)
        grams = t + [f"{a} {b}" for a, b in zip(t, t[1:], strict=False)]
        return [mmh3.hash(g, signed=False) % hash_size for g in grams]

    rows, cols = [], []
    for i, pid in enumerate(pids):
        ids = hashed(texts[pid])
        rows += [i] * len(ids)
        cols += ids
    counts = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(pids), hash_size))  # sums dups
    df = np.asarray((counts > 0).sum(axis=0)).ravel()
    n = len(pids)
    idfs = np.log((n - df + 0.5) / (df + 0.5))
    idfs = np.maximum(idfs, 0) if idf == "drqa" else np.log1p((n - df + 0.5) / (df + 0.5))
    doc = counts.log1p().multiply(idfs).tocsr()
    q = np.zeros(hash_size)
    for b in hashed(query):
        q[b] += 1
    scores = doc @ (np.log1p(q) * idfs)
    order = sorted(range(n), key=lambda i: (-scores[i], pids[i]))
    return [(pids[i], float(scores[i])) for i in order if scores[i] > 0]


def _assert_same(ours: list[tuple[int, float]], ref: list[tuple[int, float]]) -> None:
    """Same passages and scores, best first; scores that differ by float rounding count as ties."""

    def canonical(hits: list[tuple[int, float]]) -> list[tuple[int, float]]:
        return sorted(hits, key=lambda h: (-round(h[1], 9), h[0]))

    ours, ref = canonical(ours), canonical(ref)
    assert [p for p, _ in ours] == [p for p, _ in ref]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in ref], rtol=1e-5, atol=1e-9)


def test_registered_and_reopened_by_type(tmp_path):
    assert registry.get("retriever", "tfidf") is TfidfRetriever
    _build(tmp_path / "i", {1: "seine paris"}, hash_size=2**20)
    r = Retriever.open(tmp_path / "i")
    assert isinstance(r, TfidfRetriever) and r.params["hash_size"] == 2**20 and len(r) == 1


def test_worked_example(tmp_path):
    """Passages 10 'apple banana', 11 'apple apple cherry', 12 'banana cherry'; N = 3, no stopwords.

    Every query bucket occurs once, so q_tf = ln 2; a passage's tf is ln(1 + count).
    Query 'apple': df = 2, smooth idf = ln(1 + (3 - 2 + .5) / (2 + .5)) = ln 1.6;
      11 (apple twice): ln2 * ln3 * ln1.6^2 = 0.16822;   10: ln2 * ln2 * ln1.6^2 = 0.10613;   12: 0.
      DrQA's idf: ln(1.5 / 2.5) < 0, clipped to 0, so nothing ranks (DrQA #58).
    Query 'apple cherry': buckets apple, cherry (df 2, idf ln 1.6) and 'apple cherry' (df 1,
      idf ln(1 + 2.5 / 1.5) = ln(8/3));
      11: ln2*ln3*ln1.6^2 + (ln2*ln1.6)^2 + (ln2*ln(8/3))^2 = 0.73656;
      10 and 12 tie at (ln2*ln1.6)^2 = 0.10613: the smaller passage id, 10, comes first.
      DrQA's idf: only the bigram counts, idf ln(2.5 / 1.5) = ln(5/3): 11 scores (ln2*ln(5/3))^2 = 0.12537.
    """
    texts = {10: "apple banana", 11: "apple apple cherry", 12: "banana cherry"}
    smooth, drqa = _build(tmp_path / "s", texts), _build(tmp_path / "d", texts, idf="drqa")
    ranked = smooth.search("apple")
    assert [p for p, _ in ranked] == [11, 10]
    np.testing.assert_allclose([s for _, s in ranked], [0.16822, 0.10613], atol=5e-6)
    assert drqa.search("apple") == []
    ranked = smooth.search("apple cherry")
    assert [p for p, _ in ranked] == [11, 10, 12] and ranked[1][1] == ranked[2][1]
    np.testing.assert_allclose([s for _, s in ranked], [0.73656, 0.10613, 0.10613], atol=5e-6)
    [(pid, score)] = drqa.search("apple cherry")
    assert pid == 11 and score == pytest.approx(0.12537, abs=5e-6)
    assert smooth.search("apple cherry", k=2) == ranked[:2]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("idf", ["smooth", "drqa"])
def test_parity_with_dense_reference(tmp_path, seed, idf):
    hash_size = [2**24, 2**8][seed % 2]  # 2**8 forces collisions: counts then merge per bucket, as in DrQA
    texts = dict(enumerate(_corpus(60, seed), start=100))
    r = _build(tmp_path / "i", texts, hash_size=hash_size, idf=idf)
    for query in QUERIES:
        _assert_same(r.search(query, k=1000), _dense_reference(texts, query, hash_size, idf))


def test_two_passages_rank_where_drqa_idf_gives_nothing(tmp_path):
    texts = {1: "The cat sat on the mat", 2: "A dog ran in the park"}
    smooth = TfidfRetriever.create(tmp_path / "s")
    smooth.apply([Op(1, 1, texts[1]), Op(2, 2, texts[2])])
    drqa = TfidfRetriever.create(tmp_path / "d", idf="drqa")
    drqa.apply([Op(1, 1, texts[1]), Op(2, 2, texts[2])])
    assert [p for p, _ in smooth.search("where did the cat sit?")] == [1]
    assert drqa.search("where did the cat sit?") == []  # df = 1 of N = 2: ln(1.5/1.5) = 0


def test_empty_index_empty_query_and_k(tmp_path):
    r = TfidfRetriever.create(tmp_path / "i", PLAIN)
    assert r.search("anything") == [] and len(r) == 0
    r.apply([Op(1, 1, "seine paris"), Op(2, 2, "")])
    assert len(r) == 2
    assert r.search("") == [] and r.search("!!! ...") == [] and r.search("seine", k=0) == []
    assert [p for p, _ in r.search("unknown words seine")] == [1]


def _ops_with_deletes_and_replays(texts: list[str], seed: int) -> tuple[list[list[Op]], dict[int, str]]:
    """Random batches of adds, deletes and re-adds; some batches replay the previous one's tail."""
    rng, seq, live, batches = random.Random(seed), 0, {}, []
    for _ in range(12):
        batch = []
        for _ in range(rng.randint(1, 25)):
            seq += 1
            pid = rng.randrange(len(texts))
            text = None if pid in live and rng.random() < 0.4 else texts[pid]
            batch.append(Op(seq, pid, text))
            if text is None:
                del live[pid]
            else:
                live[pid] = text
        if batches and rng.random() < 0.5:
            batch = batches[-1][len(batches[-1]) // 2 :] + batch  # replay after a "crash"
        batches.append(batch)
    return batches, live


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_incremental_equals_fresh_build(tmp_path, seed):
    texts = _corpus(80, seed + 10)
    batches, live = _ops_with_deletes_and_replays(texts, seed)
    inc = TfidfRetriever.create(tmp_path / "inc", PLAIN)
    for batch in batches:
        inc.apply(batch)
    fresh = _build(tmp_path / "fresh", live)
    reopened = Retriever.open(tmp_path / "inc")
    assert len(inc) == len(reopened) == len(fresh) == len(live)
    assert reopened.applied_seq == batches[-1][-1].seq
    for query in QUERIES:
        _assert_same(inc.search(query, 50), fresh.search(query, 50))
        _assert_same(reopened.search(query, 50), fresh.search(query, 50))


def manifest_segments(r: TfidfRetriever) -> list[str]:
    return json.loads((r.path / "manifest.json").read_text())["segments"]


def test_merge_keeps_segments_bounded_and_results_exact(tmp_path):
    texts = _corpus(150, 3)
    r = TfidfRetriever.create(tmp_path / "i", PLAIN)
    seq = 0
    for start in range(0, 150, 5):  # 30 batches of 5, deleting an older passage in each
        ops = [Op(seq + j + 1, start + j, texts[start + j]) for j in range(5)]
        seq += 6
        r.apply([*ops, Op(seq, start // 2, None)])
    dead = {start // 2 for start in range(0, 150, 5)}
    live = {i: t for i, t in enumerate(texts) if i not in dead}
    manifest = json.loads((tmp_path / "i" / "manifest.json").read_text())
    on_disk = {p.name for p in (tmp_path / "i").iterdir() if p.name.startswith(("seg-", "deleted-"))}
    assert 1 < len(manifest["segments"]) <= tfidf.MAX_SEGMENTS
    assert manifest["next_segment"] > 30  # 30 batch segments were written, then merged ones
    assert on_disk == {*manifest["segments"], manifest["deleted"]} - {None}  # old files removed
    fresh = _build(tmp_path / "fresh", live)
    for query in QUERIES:
        _assert_same(r.search(query, 200), fresh.search(query, 200))
    r.compact()
    assert len(manifest_segments(r)) == 1 and not list((tmp_path / "i").glob("deleted-*"))
    assert Retriever.open(tmp_path / "i").search("sea port", 200) == r.search("sea port", 200)
    assert len(r) == len(live) and [p.name for p in (tmp_path / "i").glob("seg-*")] == manifest_segments(r)


@pytest.mark.parametrize("crash_at", ["_write_manifest", "_write_seq"])
def test_crash_then_replay(tmp_path, monkeypatch, crash_at):
    texts = _corpus(40, 5)
    r = TfidfRetriever.create(tmp_path / "i", PLAIN)
    r.apply([Op(i + 1, i, texts[i]) for i in range(20)])
    batch = [Op(21, 3, None), *(Op(i + 2, i, texts[i]) for i in range(15, 40))]

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(TfidfRetriever, crash_at, crash)
    with pytest.raises(KeyboardInterrupt):
        r.apply(batch)
    monkeypatch.undo()
    assert (tmp_path / "i" / "seg-1").is_dir()  # the batch's segment was written
    after = Retriever.open(tmp_path / "i")
    assert after.applied_seq == 20
    expected_len = 20 if crash_at == "_write_manifest" else 39
    assert len(after) == expected_len and len(r) == expected_len  # the failed writer reloaded, too
    after.apply(batch)  # replay from the recorded seq
    live = {i: texts[i] for i in range(40) if i != 3}
    fresh = _build(tmp_path / "fresh", live)
    assert len(after) == 39 and after.applied_seq == batch[-1].seq
    for query in QUERIES:
        _assert_same(after.search(query, 100), fresh.search(query, 100))
    names = {p.name for p in (tmp_path / "i").iterdir() if p.name.startswith("seg-")}
    assert names == set(json.loads((tmp_path / "i" / "manifest.json").read_text())["segments"])


@pytest.mark.parametrize(
    ("culprit", "damage"),
    [
        ("manifest.json", lambda f: f.write_text("{not json")),
        ("manifest.json", lambda f: f.write_text('{"version": 1, "next_segment": 1, "segments": ["../x"]}')),
        ("manifest.json", lambda f: f.unlink()),
        ("seg-0/tf.npy", lambda f: f.unlink()),
        ("seg-0/docs.npy", lambda f: f.write_bytes(b"\x93NUMPY garbage")),
        ("seg-0/pids.npy", lambda f: np.save(f, np.zeros(3, dtype=np.float64))),
        ("seg-0/indptr.npy", lambda f: np.save(f, np.zeros(2, dtype=np.int64))),
        ("deleted-2.npy", lambda f: np.save(f, np.array([99], dtype=np.int64))),
    ],
)
def test_corrupt_or_missing_files_raise_index_error(tmp_path, culprit, damage):
    r = _build(tmp_path / "i", {1: "seine paris", 2: "danube vienna"})
    r.apply([Op(3, 2, None)])  # version 2 holds a deletion file
    damage(tmp_path / "i" / culprit)
    with pytest.raises(IndexError_) as err:
        Retriever.open(tmp_path / "i")
    assert culprit.split("/")[-1] in str(err.value)  # names the damaged file


def test_chinese_search(tmp_path):
    r = TfidfRetriever.create(tmp_path / "i")
    docs = ["北京是中国的首都，也是政治中心。", "上海是中国最大的城市。", "长江是中国最长的河流，流经上海。"]
    r.apply([Op(i + 1, i, t) for i, t in enumerate(docs)])
    assert r.search("中国的首都是哪里？")[0][0] == 0
    assert r.search("最长的河流")[0][0] == 2


def test_bad_params_are_rejected(tmp_path):
    for bad in ({"idf": "bm25"}, {"hash_size": 0}, {"ngram": 0}, {"hashsize": 10}):
        with pytest.raises(ValueError):
            TfidfRetriever.create(tmp_path / "i", **bad)
