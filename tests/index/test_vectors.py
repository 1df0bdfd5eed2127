"""FloatVectors and BinaryCodes: worked examples, parity with numpy brute force, updates, files, crashes."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from wenda.errors import BadQueryError, IndexError_
from wenda.index import store as store_mod
from wenda.index.vectors import BinaryCodes, FloatVectors

IVF = {"nlist": 16, "nprobe": 8}  # 16 lists train from 39 * 16 = 624 codes


def _binary(path, bits=64, kind="flat", **params) -> BinaryCodes:
    params = {**(IVF if kind == "ivf" else {}), **params}
    return BinaryCodes.create(path, bits, kind=kind, **params)


def _signs(*prefixes: list[int], bits: int = 64) -> np.ndarray:
    """Vectors whose first entries are ``prefix`` and the rest -1 (so their code bits are 0)."""
    out = -np.ones((len(prefixes), bits), np.float32)
    for row, prefix in zip(out, prefixes, strict=True):
        row[: len(prefix)] = prefix
    return out


def _brute_bpr(ids, vectors, queries, k, candidates):
    """BPR by hand: codes sign(v) > 0; the ``candidates`` passages nearest to sign(q) > 0 in Hamming
    distance (ties: smaller id); those re-ranked by <q, 2b - 1> (ties: smaller id)."""
    order = np.argsort(ids)
    ids, bits = ids[order], vectors[order] > 0  # [N], [N, bits]
    out_ids, out_scores = [], []
    for q in queries:
        hamming = (bits != (q > 0)).sum(axis=1)  # [N]
        cand = np.lexsort((ids, hamming))[:candidates]
        scores = (bits[cand] * 2.0 - 1.0).astype(np.float32) @ q  # [candidates]
        top = np.lexsort((ids[cand], -scores))[:k]
        out_ids.append(ids[cand][top])
        out_scores.append(scores[top])
    return np.array(out_ids), np.array(out_scores)


# --- worked examples ---------------------------------------------------------------------------
def test_float_worked_example(tmp_path):
    """Vectors 7: (1, 0), 3: (0, 1), 5: (1, 1), 9: (1, 0); query (2, 1).

    Inner products: 7 -> 2, 3 -> 1, 5 -> 3, 9 -> 2. Best first: 5 (3), then 7 and 9 tie at 2 (smaller
    id first: 7, 9), then 3 (1); k = 6 pads two slots with id -1, score -inf.
    Delete 5 and replace 3 by (5, 0): 3 -> 10, 7 -> 2, 9 -> 2.
    """
    fv = FloatVectors.create(tmp_path / "f", dim=2)
    fv.add([7, 3, 5, 9], [[1, 0], [0, 1], [1, 1], [1, 0]])
    ids, scores = fv.search([[2, 1]], k=6)
    assert ids.tolist() == [[5, 7, 9, 3, -1, -1]] and ids.dtype == np.int64
    assert scores.tolist() == [[3, 2, 2, 1, -np.inf, -np.inf]] and scores.dtype == np.float32
    fv.delete([5, 404])
    fv.add([3], [[5, 0]])
    ids, scores = fv.search([[2, 1]], k=3)
    assert ids.tolist() == [[3, 7, 9]] and scores.tolist() == [[10, 2, 2]] and len(fv) == 3
    np.testing.assert_array_equal(fv.vectors([9, 3]), [[1, 0], [5, 0]])


def test_binary_worked_example(tmp_path):
    """64-bit codes; every vector is -1 after its first four entries, so those 60 bits are 0.

    Passages (first four signs -> code, first byte):  10: + + + +  -> 11110000 = 240
                                                      20: + + - -  -> 11000000 = 192
                                                      30: + - - -  -> 10000000 = 128
                                                      50: same as 20
    Query q = (3, 2, 1, -4, then -0.5 x 60): its code is 11100000.
    (a) Hamming distances to the query code: 10 -> 1, 20 -> 1, 50 -> 1, 30 -> 2.
    (b) Re-ranking, <q, 2b - 1>: the 60 trailing dims give -0.5 * -1 = +0.5 each, +30 in all;
        10: 3 + 2 + 1 - 4 + 30 = 32;  20 and 50: 3 + 2 - 1 + 4 + 30 = 38;  30: 3 - 2 - 1 + 4 + 30 = 34.
    With 4 candidates: 20, 50 (tied at 38: smaller id first), 30, 10 -- re-ranking puts 30 above 10
    though it is farther in Hamming distance. With 3 candidates (k = 3), 30 never reaches the
    re-ranking: 20, 50, 10. Once 30 is deleted, k = 4 pads the last slot with id -1, score -inf.
    """
    bc = _binary(tmp_path / "b")
    bc.add([10, 20, 30, 50], _signs([1, 1, 1, 1], [1, 1, -1, -1], [1, -1, -1, -1], [1, 1, -1, -1]))
    assert bc.codes([10, 20, 30]).tolist() == [[240] + [0] * 7, [192] + [0] * 7, [128] + [0] * 7]
    q = np.full((1, 64), -0.5, np.float32)
    q[0, :4] = [3, 2, 1, -4]
    ids, scores = bc.search(q, k=4, candidates=4)
    assert ids.tolist() == [[20, 50, 30, 10]] and scores.tolist() == [[38, 38, 34, 32]]
    ids, scores = bc.search(q, k=3, candidates=3)
    assert ids.tolist() == [[20, 50, 10]] and scores.tolist() == [[38, 38, 32]]
    bc.delete([30])
    ids, scores = bc.search(q, k=4, candidates=4)
    assert ids.tolist() == [[20, 50, 10, -1]] and scores.tolist() == [[38, 38, 32, -np.inf]]


# --- parity with brute force ---------------------------------------------------------------------
@pytest.mark.parametrize("bits", [64, 256])
def test_binary_flat_equals_brute_force(tmp_path, bits):
    rng = np.random.default_rng(bits)
    ids = rng.permutation(10_000)[:2000].astype(np.int64)
    vectors = rng.standard_normal((2000, bits)).astype(np.float32)
    queries = rng.standard_normal((25, bits)).astype(np.float32)
    bc = _binary(tmp_path / "b", bits)
    bc.add(ids, vectors)
    for store in (bc, _reopened(bc)):
        got_ids, got_scores = store.search(queries, k=10, candidates=200)
        ref_ids, ref_scores = _brute_bpr(ids, vectors, queries, 10, 200)
        np.testing.assert_array_equal(got_ids, ref_ids)
        np.testing.assert_allclose(got_scores, ref_scores, rtol=1e-5)
        np.testing.assert_array_equal(store.search(queries, k=1, candidates=200)[0], ref_ids[:, :1])
    gone = ids[::3]
    bc.delete(gone)
    keep = ~np.isin(ids, gone)
    got_ids, _ = bc.search(queries, k=10, candidates=200)
    np.testing.assert_array_equal(got_ids, _brute_bpr(ids[keep], vectors[keep], queries, 10, 200)[0])


def _reopened(store):
    store.save()
    return type(store).open(store.path)


@pytest.mark.parametrize("kind, params", [("hnsw", {"ef_construction": 200}), ("ivf", {"nprobe": 8})])
def test_binary_approximate_recall(tmp_path, kind, params):
    """Clustered passages, queries near passages (as a trained encoder gives): the top 10 of exact BPR
    (flat) is found with recall >= 0.9. (Unclustered Gaussian codes give IVF nothing to work with.)"""
    rng = np.random.default_rng(7)
    centers = rng.standard_normal((30, 128)).astype(np.float32)
    vectors = centers[rng.integers(0, 30, 3000)] + rng.standard_normal((3000, 128)).astype(np.float32)
    ids = np.arange(3000, dtype=np.int64) * 5
    queries = vectors[rng.choice(3000, 40)] + 0.8 * rng.standard_normal((40, 128)).astype(np.float32)
    bc = _binary(tmp_path / "b", 128, kind, **params)
    bc.add(ids, vectors)
    ref_ids, _ = _brute_bpr(ids, vectors, queries, 10, 300)
    got_ids, _ = bc.search(queries, k=10, candidates=300)
    recall = np.mean([len(set(g) & set(r)) / 10 for g, r in zip(got_ids, ref_ids, strict=True)])
    assert recall >= 0.9


def test_float_equals_brute_force(tmp_path, monkeypatch):
    monkeypatch.setattr(store_mod, "_BLOCK", 64)  # many blocks: exercises the running top k
    rng = np.random.default_rng(0)
    ids = rng.permutation(5000)[:700].astype(np.int64)
    vectors = rng.integers(-2, 3, (700, 8)).astype(np.float32)  # small integers: many exact ties
    queries = rng.integers(-2, 3, (30, 8)).astype(np.float32)
    fv = FloatVectors.create(tmp_path / "f", 8)
    fv.add(ids[:400], vectors[:400])
    fv.save()  # a memory-mapped chunk, then 30 small in-memory ones (merged past 16)
    for part in np.array_split(np.arange(400, 700), 30):
        fv.add(ids[part], vectors[part])
    assert len(fv._chunks) <= 17
    for k in (1, 25):
        got_ids, got_scores = fv.search(queries, k=k)
        for q, g_ids, g_scores in zip(queries, got_ids, got_scores, strict=True):
            scores = vectors @ q
            top = np.lexsort((ids, -scores))[:k]
            np.testing.assert_array_equal(g_ids, ids[top])
            np.testing.assert_array_equal(g_scores, scores[top])


# --- updates, files ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivf"])
def test_binary_updates_round_trip(tmp_path, kind):
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((1000, 64)).astype(np.float32)
    bc = _binary(tmp_path / "b", kind=kind)
    bc.add(np.arange(1000), vectors)
    bc.add([5, 6], -vectors[[5, 6]])  # replace: the codes flip
    bc.delete([7, 8, 99_999])
    for store in (bc, _reopened(bc), BinaryCodes.open(tmp_path / "b")):
        assert len(store) == 998 and store.meta["kind"] == kind
        np.testing.assert_array_equal(
            store.codes([5, 1]), np.packbits(np.array([-vectors[5], vectors[1]]) > 0, 1)
        )
        ids, _ = store.search(vectors[:20], k=20, candidates=1000)
        assert not np.isin(ids, [7, 8]).any()
        assert ids[0, 0] == 0 and ids[5, 0] != 5  # a code's own passage is its best, until replaced
    with pytest.raises(KeyError, match="7"):
        bc.codes([7])


def test_binary_deleted_never_returned_even_when_most_are(tmp_path):
    rng = np.random.default_rng(2)
    for kind in ("flat", "hnsw", "ivf"):
        bc = _binary(tmp_path / kind, kind=kind)
        bc.add(np.arange(1000), rng.standard_normal((1000, 64)))
        bc.delete(np.arange(3, 1000))
        ids, scores = bc.search(rng.standard_normal((4, 64)), k=5, candidates=10)
        assert set(ids.ravel()) <= {0, 1, 2, -1} and (ids[:, 3:] == -1).all()
        assert np.isneginf(scores[:, 3:]).all()


def test_duplicate_ids_in_a_batch_last_wins(tmp_path):
    fv = FloatVectors.create(tmp_path / "f", 2)
    fv.add([4, 4, 2], [[1, 1], [2, 2], [3, 3]])
    assert len(fv) == 2
    np.testing.assert_array_equal(fv.vectors([4, 2]), [[2, 2], [3, 3]])


def test_float_round_trip_is_memory_mapped(tmp_path):
    fv = FloatVectors.create(tmp_path / "f", 3)
    fv.add([1, 2, 3], np.eye(3))
    fv.delete([2])
    fv.save()
    again = FloatVectors.open(tmp_path / "f")
    assert isinstance(again._chunks[0], np.memmap) and not again._chunks[0].flags.writeable
    assert len(again) == 2 and again.ids().tolist() == [1, 3]
    np.testing.assert_array_equal(again.vectors([3]), [[0, 0, 1]])
    assert again.search([[0, 1, 0]], 3)[0].tolist() == [[1, 3, -1]]


def test_compaction_drops_dead_rows_and_keeps_results(tmp_path):
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((800, 64)).astype(np.float32)
    bc = _binary(tmp_path / "b", kind="hnsw")
    bc.add(np.arange(800), vectors)
    bc.save()
    bc.delete(np.arange(0, 800, 2))  # half dead: the next save compacts
    before = bc.search(vectors[1:40:2], k=5, candidates=400)
    again = _reopened(bc)
    assert again.meta["count"] == 400 and again.meta["index_ntotal"] == 400
    np.testing.assert_array_equal(again.search(vectors[1:40:2], k=5, candidates=400)[0], before[0])


def test_code_file_is_packed_bits(tmp_path):
    """N codes of 256 bits take N * 32 bytes plus the .npy header: 8 codes per byte, nothing else."""
    bc = _binary(tmp_path / "b", 256)
    bc.add(np.arange(1000), np.random.default_rng(4).standard_normal((1000, 256)))
    bc.save()
    path = tmp_path / "b" / bc.meta["files"]["rows"]
    with open(path, "rb") as f:
        np.lib.format.read_magic(f)
        np.lib.format.read_array_header_1_0(f)
        header = f.tell()
    assert path.stat().st_size == 1000 * 256 // 8 + header
    assert np.load(path).dtype == np.uint8


def test_ivf_searches_exactly_until_it_can_train(tmp_path):
    rng = np.random.default_rng(5)
    vectors = rng.standard_normal((700, 64)).astype(np.float32)
    bc = _binary(tmp_path / "b", kind="ivf")
    bc.add(np.arange(300), vectors[:300])  # < 624: flat
    assert type(bc._faiss()).__name__ == "IndexBinaryFlat"
    np.testing.assert_array_equal(
        bc.search(vectors[:5], 5)[0], _brute_bpr(np.arange(300), vectors[:300], vectors[:5], 5, 1000)[0]
    )
    bc.add(np.arange(300, 700), vectors[300:])
    assert type(bc._faiss()).__name__ == "IndexBinaryIVF" and bc._faiss().ntotal == 700
    bc.delete([1, 2])
    assert bc._faiss().ntotal == 698
    assert type(_reopened(bc)._faiss()).__name__ == "IndexBinaryIVF"


# --- crashes, corruption, bad input ---------------------------------------------------------------
def _float_store(path) -> FloatVectors:
    fv = FloatVectors.create(path, 2)
    fv.add([1, 2], [[1, 0], [0, 1]])
    fv.save()
    return fv


def test_interrupted_save_keeps_the_old_store(tmp_path, monkeypatch):
    fv = _float_store(tmp_path / "f")
    fv.add([3], [[1, 1]])
    fv.delete([1])
    real = store_mod._save_npy

    def dies_midway(path, dtype, shape, blocks):
        def first_then_die():
            yield next(blocks)
            raise KeyboardInterrupt  # as a kill would, inside the write

        real(path, dtype, shape, first_then_die())

    monkeypatch.setattr(store_mod, "_save_npy", dies_midway)
    with pytest.raises(KeyboardInterrupt):
        fv.save()
    monkeypatch.undo()
    old = FloatVectors.open(tmp_path / "f")
    assert old.ids().tolist() == [1, 2]
    assert not [p for p in (tmp_path / "f").iterdir() if p.name.startswith(".")]  # no temp file left

    monkeypatch.setattr(store_mod, "atomic_write_json", _raise)  # dies at the commit point
    with pytest.raises(OSError):
        fv.save()
    monkeypatch.undo()
    assert FloatVectors.open(tmp_path / "f").ids().tolist() == [1, 2]
    fv.save()  # the interrupted saves' files are replaced or removed
    assert FloatVectors.open(tmp_path / "f").ids().tolist() == [2, 3]
    assert sorted(p.name for p in (tmp_path / "f").iterdir()) == [
        "ids.3.npy",
        "live.3.npy",
        "params.json",
        "rows.3.npy",
        "sha256.json",
    ]


def _raise(*args, **kwargs):
    raise OSError("disk full")


def test_killed_save_leftovers_are_ignored_then_removed(tmp_path):
    _float_store(tmp_path / "f")
    (tmp_path / "f" / "rows.9.npy").write_bytes(b"half a file")
    (tmp_path / "f" / ".rows.9.npy.x1y2").write_bytes(b"temp")
    again = FloatVectors.open(tmp_path / "f")
    assert again.ids().tolist() == [1, 2]
    again.delete([1])
    again.save()
    names = {p.name for p in (tmp_path / "f").iterdir()}
    assert "rows.9.npy" not in names and ".rows.9.npy.x1y2" not in names


@pytest.mark.parametrize("damage", ["truncate", "garbage", "missing", "wrong_shape"])
def test_corrupt_array_files_are_named(tmp_path, damage):
    _float_store(tmp_path / "f")
    meta = json.loads((tmp_path / "f" / "params.json").read_text())
    rows = tmp_path / "f" / meta["files"]["rows"]
    if damage == "truncate":
        rows.write_bytes(rows.read_bytes()[:-4])
    elif damage == "garbage":
        rows.write_bytes(b"\x00" * 200)
    elif damage == "missing":
        rows.unlink()
    else:
        np.save(rows, np.zeros((2, 3), np.float32))
    with pytest.raises(IndexError_, match=rf"{rows.name}: "):
        FloatVectors.open(tmp_path / "f")


@pytest.mark.parametrize(
    "text", ["{not json", '{"type": "vectors/binary", "format": 1}', '{"type": "vectors/float"}', "[]"]
)
def test_corrupt_params_are_named(tmp_path, text):
    _float_store(tmp_path / "f")
    (tmp_path / "f" / "params.json").write_text(text)
    with pytest.raises(IndexError_, match="params.json"):
        FloatVectors.open(tmp_path / "f")


@pytest.mark.parametrize("change", [{"bits": 72}, {"kind": "lsh"}, {"params": {"M": "x"}}, {"params": None}])
def test_invalid_binary_params_are_named(tmp_path, change):
    BinaryCodes.create(tmp_path / "b", 64, kind="hnsw")
    meta = json.loads((tmp_path / "b" / "params.json").read_text())
    (tmp_path / "b" / "params.json").write_text(json.dumps({**meta, **change}))
    with pytest.raises(IndexError_, match="params.json"):
        BinaryCodes.open(tmp_path / "b")


@pytest.mark.parametrize("damage", ["corrupt", "missing"])
def test_damaged_faiss_file_is_rebuilt(tmp_path, damage, caplog):
    rng = np.random.default_rng(6)
    vectors = rng.standard_normal((500, 64)).astype(np.float32)
    bc = _binary(tmp_path / "b", kind="hnsw")
    bc.add(np.arange(500), vectors)
    bc.save()
    expected = bc.search(vectors[:10], 3)
    index = tmp_path / "b" / bc.meta["files"]["index"]
    if damage == "corrupt":
        data = bytearray(index.read_bytes())
        data[len(data) // 2] ^= 0xFF
        index.write_bytes(bytes(data))
    else:
        index.unlink()
    again = BinaryCodes.open(tmp_path / "b")
    with caplog.at_level(logging.WARNING):
        got = again.search(vectors[:10], 3)
    assert "rebuilding" in caplog.text
    np.testing.assert_array_equal(got[0][:, 0], expected[0][:, 0])
    again.save()  # writes a sound one
    assert BinaryCodes.open(tmp_path / "b")._faiss().ntotal == 500


def test_bad_input(tmp_path):
    fv = FloatVectors.create(tmp_path / "f", 4)
    with pytest.raises(ValueError, match=r"\[n, 4\]"):
        fv.add([1], [[1, 2, 3]])
    with pytest.raises(ValueError, match="NaN"):
        fv.add([1, 2], [[1, 2, 3, 4], [np.nan, 0, 0, 0]])
    with pytest.raises(ValueError, match="2 passage ids for 1"):
        fv.add([1, 2], [[1, 2, 3, 4]])
    with pytest.raises(ValueError, match="integer"):
        fv.add([1.5], [[1, 2, 3, 4]])
    with pytest.raises(BadQueryError, match="NaN"):
        fv.search([[np.inf, 0, 0, 0]], 3)
    with pytest.raises(BadQueryError):
        fv.search([1, 2, 3, 4], 3)  # one query is still [1, D]
    with pytest.raises(ValueError, match="k must"):
        fv.search([[1, 2, 3, 4]], -1)
    assert fv.search([[1, 2, 3, 4]], 2)[0].tolist() == [[-1, -1]]  # empty store
    fv.add([], np.empty((0, 4)))  # an empty batch is harmless
    assert len(fv) == 0 and fv.search(np.empty((0, 4)), 2)[0].shape == (0, 2)
    with pytest.raises(IndexError_, match="already holds"):
        FloatVectors.create(tmp_path / "f", 4)
    for bits in (60, 32, 1032, 100):
        with pytest.raises(ValueError, match="multiple of 8"):
            BinaryCodes.create(tmp_path / f"b{bits}", bits)
    with pytest.raises(ValueError, match="kind"):
        BinaryCodes.create(tmp_path / "k", 64, kind="lsh")
    with pytest.raises(ValueError, match="nprobe"):
        BinaryCodes.create(tmp_path / "p", 64, kind="hnsw", nprobe=3)
    bc = BinaryCodes.create(tmp_path / "b", 64)
    with pytest.raises(ValueError, match=r"\[n, 64\]"):
        bc.add([1], np.ones((1, 8), np.uint8))  # packed codes are not vectors
    with pytest.raises(IndexError_, match="not a vectors/float"):
        FloatVectors.open(tmp_path / "b")
