"""One system of the BM25 speed benchmark, run in a process of its own by ``retrieval_speed.py``.

    python bench/systems.py SYSTEM --work DIR --size SIZE --queries N --out RESULT.json

Every system gets the same terms: wenda's default :class:`~wenda.text.Tokenizer` (lowercase, Lucene's
English stopwords, Snowball English stemmer), through ``tokenize_batch`` (2 processes from 20,000
texts on) when indexing and ``Tokenizer.tokens`` for each query, and BM25 with k1=1.2, b=0.75
(FTS5 fixes those two values itself). Build time covers tokenizing, indexing and persisting to disk
(rank_bm25 cannot persist); query time covers tokenizing the query and getting its top 10.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import sys
import time
from pathlib import Path

import numpy as np
import psutil

# Run as a script from the repository (wenda is not installed as a package there).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from make_corpus import read_passages  # noqa: E402

from wenda.index.base import Op, Retriever  # noqa: E402
from wenda.index.bm25 import BM25  # noqa: E402
from wenda.text import Tokenizer  # noqa: E402
from wenda.text.parallel import tokenize_batch  # noqa: E402

K = 10
WARMUP = 5  # untimed queries first: numba compiles on its first call, caches warm up
CHUNK = 50_000  # ops per BM25.apply, as Collection.sync applies the store's change log


def tree_bytes(path: Path) -> int:
    """Total size of the files under ``path``."""
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


class WendaBM25:
    """wenda's BM25 as the library drives it: ``BM25.apply`` in change-log chunks, then reopened."""

    def __init__(self, tok: Tokenizer) -> None:
        self.tok = tok

    def build(self, texts: list[str], folder: Path) -> dict:
        t0 = time.perf_counter()
        index = BM25.create(folder / "bm25")
        for start in range(0, len(texts), CHUNK):
            chunk = texts[start : start + CHUNK]
            index.apply([Op(start + i + 1, start + i + 1, text) for i, text in enumerate(chunk)])
        index.close()
        build_s = time.perf_counter() - t0
        self.index = Retriever.open(folder / "bm25")  # query what is on disk, as `wenda search` does
        return {"build_s": build_s, "index_bytes": tree_bytes(folder / "bm25")}

    def query(self, text: str) -> tuple[list[int], list[float]]:
        hits = self.index.search(text, K)
        return [pid - 1 for pid, _ in hits], [score for _, score in hits]


class Bm25s:
    """bm25s ("lucene" scoring) on pre-tokenized passages; ``backend`` is "numba" or "numpy"."""

    def __init__(self, tok: Tokenizer, backend: str) -> None:
        self.tok, self.backend = tok, backend

    def build(self, texts: list[str], folder: Path) -> dict:
        import bm25s

        t0 = time.perf_counter()
        terms = tokenize_batch(self.tok, texts)
        t1 = time.perf_counter()
        self.model = bm25s.BM25(method="lucene", k1=1.2, b=0.75, backend=self.backend)
        self.model.index(terms, show_progress=False)
        del terms
        t2 = time.perf_counter()
        self.model.save(str(folder / "bm25s"))
        t3 = time.perf_counter()
        return {
            "build_s": t3 - t0,
            "tokenize_s": t1 - t0,
            "index_s": t2 - t1,
            "save_s": t3 - t2,
            "index_bytes": tree_bytes(folder / "bm25s"),
        }

    def query(self, text: str) -> tuple[list[int], list[float]]:
        terms = self.tok.tokens(text)
        # n_threads=0: one thread (numba's serial kernel, a plain map for numpy)
        res = self.model.retrieve([terms], k=K, show_progress=False, n_threads=0)
        return res.documents[0].tolist(), res.scores[0].tolist()


class RankBM25:
    """rank_bm25's BM25Okapi (its own idf: ln((N - df + .5) / (df + .5)), floored), in memory only."""

    def __init__(self, tok: Tokenizer) -> None:
        self.tok = tok

    def build(self, texts: list[str], folder: Path) -> dict:
        from rank_bm25 import BM25Okapi

        t0 = time.perf_counter()
        terms = tokenize_batch(self.tok, texts)
        t1 = time.perf_counter()
        self.model = BM25Okapi(terms, k1=1.2, b=0.75)
        del terms
        t2 = time.perf_counter()
        return {"build_s": t2 - t0, "tokenize_s": t1 - t0, "index_s": t2 - t1, "index_bytes": None}

    def query(self, text: str) -> tuple[list[int], list[float]]:
        scores = self.model.get_scores(self.tok.tokens(text))
        top = np.argpartition(-scores, K)[:K]
        top = top[np.argsort(-scores[top], kind="stable")]
        return top.tolist(), scores[top].tolist()


class Fts5:
    """SQLite FTS5, contentless, over the space-joined terms; ranked by its built-in bm25()."""

    def __init__(self, tok: Tokenizer) -> None:
        self.tok = tok

    def build(self, texts: list[str], folder: Path) -> dict:
        path = folder / "fts5.sqlite"
        t0 = time.perf_counter()
        terms = tokenize_batch(self.tok, texts)
        t1 = time.perf_counter()
        self.db = sqlite3.connect(path, isolation_level=None)
        # remove_diacritics 0: the terms are already normalized; FTS5 must keep them as they are.
        self.db.execute(
            "CREATE VIRTUAL TABLE t USING fts5(body, content='', tokenize='unicode61 remove_diacritics 0')"
        )
        self.db.execute("BEGIN")
        rows = ((i + 1, " ".join(t)) for i, t in enumerate(terms))
        self.db.executemany("INSERT INTO t(rowid, body) VALUES (?, ?)", rows)
        self.db.execute("COMMIT")
        del terms
        # 'optimize' merges the b-tree segments into one, as one would before serving queries.
        self.db.execute("INSERT INTO t(t) VALUES ('optimize')")
        t2 = time.perf_counter()
        return {
            "build_s": t2 - t0,
            "tokenize_s": t1 - t0,
            "index_s": t2 - t1,
            "index_bytes": path.stat().st_size,
        }

    def query(self, text: str) -> tuple[list[int], list[float]]:
        terms = self.tok.tokens(text)
        if not terms:
            return [], []
        match = " OR ".join(f'"{t}"' for t in terms)  # quoted: a term is never FTS5 syntax
        sql = "SELECT rowid, rank FROM t WHERE t MATCH ? ORDER BY rank LIMIT ?"
        rows = self.db.execute(sql, (match, K)).fetchall()
        return [rowid - 1 for rowid, _ in rows], [-rank for _, rank in rows]  # FTS5 ranks by -bm25


SYSTEMS = {
    "wenda-bm25": lambda tok: WendaBM25(tok),
    "bm25s-numba": lambda tok: Bm25s(tok, "numba"),
    "bm25s-numpy": lambda tok: Bm25s(tok, "numpy"),
    "rank_bm25": lambda tok: RankBM25(tok),
    "sqlite-fts5": lambda tok: Fts5(tok),
}


def time_queries(system, queries: list[str]) -> dict:
    """Per-query latency (ms) over ``queries`` after :data:`WARMUP` untimed ones, and the top 10s."""
    for q in queries[:WARMUP]:
        system.query(q)
    latencies, tops, scores = [], [], []
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for q in queries:
        t0 = time.perf_counter()
        ids, top_scores = system.query(q)
        latencies.append(1000 * (time.perf_counter() - t0))
        tops.append(ids)
        scores.append(top_scores)
    wall = time.perf_counter() - wall0
    return {
        "queries": len(queries),
        "p50_ms": float(np.percentile(latencies, 50)),
        "p95_ms": float(np.percentile(latencies, 95)),
        "mean_ms": float(np.mean(latencies)),
        # ~1.0 shows the queries ran on one core (process CPU time counts every thread)
        "query_cpu_per_wall": (time.process_time() - cpu0) / wall if wall else None,
        "top10": tops,
        "top10_scores": scores,
    }


def run(name: str, work: Path, size: str, n_queries: int) -> dict:
    """Load the corpus, build ``name``'s index, time the queries; returns the measurements."""
    t0 = time.perf_counter()
    texts = read_passages(work, size)
    load_s = time.perf_counter() - t0
    corpus_mb = psutil.Process().memory_info().rss / 2**20
    system = SYSTEMS[name](Tokenizer())
    folder = work / "runs" / size / name
    folder.mkdir(parents=True, exist_ok=True)
    out = {"system": name, "passages": len(texts), "load_s": load_s, "rss_after_load_mb": corpus_mb}
    out.update(system.build(texts, folder))
    out["passages_per_s"] = len(texts) / out["build_s"]
    del texts
    queries = json.loads((work / "queries.json").read_text())[:n_queries]
    out.update(time_queries(system, queries))
    out["ru_maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description="run one system of bench/retrieval_speed.py")
    ap.add_argument("system", choices=sorted(SYSTEMS))
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--size", required=True)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    result = run(args.system, args.work, args.size, args.queries)
    args.out.write_text(json.dumps(result))
    print(f"pid {os.getpid()} done", file=sys.stderr)


if __name__ == "__main__":
    main()
