"""BPR binary-code search speed: wenda.index.vectors.BinaryCodes over a million random codes.

    python bench/binary_search.py                          # 1M codes of 256 bits, flat and hnsw
    python bench/binary_search.py --kinds flat --bits 64,128,256,512      # about a minute
    python bench/binary_search.py --ef-construction 40     # a faster (poorer) HNSW build

The HNSW build dominates: 1M codes took 412 s on a 2-core machine with another ~1.3 cores busy
(flat: 2 s), so the default run takes ~8 minutes there.

For each code length and index kind (``flat``: faiss IndexBinaryFlat, exact; ``hnsw``: IndexBinaryHNSW)
it builds a store of ``--n`` random codes (random bytes, as +-1 vectors: ``add`` takes the encoder's
continuous outputs), then times ``search`` one query at a time (random Gaussian queries, continuous)
with k = 100 and 1,000 Hamming candidates re-ranked (BPR's two stages), after 5 untimed warm-up
queries, with 1 and 2 faiss threads (``faiss.omp_set_num_threads``). Reported per configuration:
median and p95 ms per query for the whole search and for the candidate stage alone (faiss), the
build time, and for hnsw the share of flat's top 100 it returns (recall@100; random codes have no
cluster structure, the hardest case for a graph index). Also the bytes per passage on disk of a
FloatVectors of 768-d float32 vectors and a BinaryCodes of 768-bit codes (measured on 10,000 passages,
ids and live flags included), and, for each hnsw run, its graph file.

"others' cores": CPU other processes used during the run (machine busy time less ours, over wall
time); on a shared 2-core machine a busy neighbour slows everything. The JSON result goes to
``bench/results/binary_search/<date>-n<N>.json``; a summary goes to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np
import psutil
from cpu import OthersMeter

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout, as the other bench scripts

from wenda.index import hamming  # noqa: E402
from wenda.index.vectors import BinaryCodes, FloatVectors  # noqa: E402

OUT = HERE / "results" / "binary_search"
BATCH = 100_000  # codes generated and added at a time
WARMUP = 5


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def machine() -> dict:
    info = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((ln.split(":", 1)[1].strip() for ln in info if ln.startswith("model name")), "?")
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        **{lib: importlib.metadata.version(lib) for lib in ("numpy", "faiss-cpu")},
    }


def build(path: Path, n: int, bits: int, kind: str, seed: int, params: dict) -> tuple[BinaryCodes, float]:
    """A store of ``n`` random codes, added in batches; returns it and the seconds taken."""
    rng = np.random.default_rng(seed)
    store = BinaryCodes.create(path, bits, kind=kind, **params)
    t0 = time.perf_counter()
    for start in range(0, n, BATCH):
        m = min(BATCH, n - start)
        codes = rng.integers(0, 256, (m, bits // 8), dtype=np.uint8)
        vectors = np.unpackbits(codes, axis=1).astype(np.float32) * 2 - 1  # [m, bits] +-1
        store.add(np.arange(start, start + m), vectors)
    store._faiss()  # noqa: SLF001 - flat builds on first use: time it here, not in the first query
    return store, time.perf_counter() - t0


def _ms(times: list[float]) -> dict:
    arr = np.array(times) * 1e3
    return {"median_ms": round(float(np.median(arr)), 3), "p95_ms": round(float(np.percentile(arr, 95)), 3)}


def time_queries(store: BinaryCodes, queries: np.ndarray, k: int, candidates: int) -> tuple[dict, np.ndarray]:
    """Whole-search and candidate-stage latencies, one query at a time after the warm-up ones; and
    the ids found for the timed queries [Q, k]."""
    index, qcodes = store._faiss(), np.packbits(queries > 0, axis=1)  # noqa: SLF001
    for q in queries[:WARMUP]:
        store.search(q[None], k, candidates)
    total, stage1, found = [], [], []
    for i in range(WARMUP, len(queries)):
        t0 = time.perf_counter()
        ids, _ = store.search(queries[i : i + 1], k, candidates)
        t1 = time.perf_counter()
        hamming.search(index, qcodes[i : i + 1], candidates, store.params, None)
        total.append(t1 - t0)
        stage1.append(time.perf_counter() - t1)
        found.append(ids[0])
    return {"search": _ms(total), "candidates_only": _ms(stage1)}, np.array(found)


def run_config(args, work: Path, bits: int, kind: str, flat_ids: dict) -> list[dict]:
    """Build one store, time it at each thread count; rows of the result table."""
    faiss.omp_set_num_threads(max(args.threads))
    log(f"{bits} bits, {kind}: building {args.n:,} codes")
    params = {"M": args.hnsw_m, "ef_construction": args.ef_construction} if kind == "hnsw" else {}
    store, build_s = build(work / f"{kind}-{bits}", args.n, bits, kind, args.seed, params)
    queries = np.random.default_rng(args.seed + 1).standard_normal((args.queries + WARMUP, bits))
    queries = queries.astype(np.float32)
    graph_bytes = None
    if kind == "hnsw":
        store.save()
        graph_bytes = (store.path / store.meta["files"]["index"]).stat().st_size
    rows = []
    for threads in args.threads:
        faiss.omp_set_num_threads(threads)
        with OthersMeter() as meter:
            lat, found = time_queries(store, queries, args.k, args.candidates)
        if kind == "flat":
            flat_ids[bits] = found
        recall = None
        if kind != "flat" and bits in flat_ids:
            recall = np.mean(
                [len(set(a) & set(b)) / args.k for a, b in zip(found, flat_ids[bits], strict=True)]
            )
        row = {"bits": bits, "kind": kind, "params": store.params, "threads": threads, "n": args.n}
        row |= {"build_s": round(build_s, 1)}
        row |= {**lat, "recall_at_k_vs_flat": recall, "others_cores": meter.cores}
        row |= {"hnsw_graph_bytes_per_passage": graph_bytes and round(graph_bytes / args.n, 1)}
        log(f"  {threads} thread(s): {lat['search']} (candidates only {lat['candidates_only']})")
        rows.append(row)
    shutil.rmtree(store.path)
    return rows


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.iterdir() if p.is_file() and p.name != "params.json")


def bytes_per_passage(work: Path, n: int = 10_000, dim: int = 768) -> dict:
    """On-disk bytes per passage: 768-d float32 vectors against 768-bit codes (ids, live flags too)."""
    vectors = np.random.default_rng(0).standard_normal((n, dim)).astype(np.float32)
    fv, bc = FloatVectors.create(work / "fv", dim), BinaryCodes.create(work / "bc", dim)
    for store in (fv, bc):
        store.add(np.arange(n), vectors)
        store.save()
    out = {
        "n": n,
        "dim": dim,
        "float_vectors": _dir_bytes(fv.path) / n,
        "binary_codes": _dir_bytes(bc.path) / n,
    }
    out["ratio"] = round(out["float_vectors"] / out["binary_codes"], 1)
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=1_000_000, help="codes in the store")
    p.add_argument("--bits", default="256", help="comma-separated code lengths, e.g. 64,128,256,512")
    p.add_argument("--kinds", default="flat,hnsw", help="comma-separated: flat, hnsw, ivf")
    p.add_argument("--threads", default="1,2", help="comma-separated faiss thread counts")
    p.add_argument("--queries", type=int, default=200, help="timed queries per configuration")
    p.add_argument("--k", type=int, default=100)
    p.add_argument("--candidates", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    hnsw = hamming.KINDS["hnsw"]
    p.add_argument("--hnsw-m", type=int, default=hnsw["M"], help="HNSW links per node (store default)")
    p.add_argument("--ef-construction", type=int, default=hnsw["ef_construction"], help="(store default)")
    p.add_argument("--work", type=Path, default=None, help="directory for the stores (default: a temp dir)")
    args = p.parse_args(argv)
    args.bits = [int(b) for b in args.bits.split(",")]
    args.kinds = args.kinds.split(",")
    args.threads = [int(t) for t in args.threads.split(",")]
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="wenda-binary-", dir=args.work))
    started, t0 = dt.datetime.now().astimezone(), time.monotonic()
    try:
        flat_ids: dict[int, np.ndarray] = {}
        rows = [
            r
            for bits in args.bits
            for kind in args.kinds
            for r in run_config(args, work, bits, kind, flat_ids)
        ]
        sizes = bytes_per_passage(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    doc = {
        "date": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "command": " ".join([Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])]),
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "results": rows,
        "bytes_per_passage_768": sizes,
        "wall_s": round(time.monotonic() - t0, 1),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    out = OUT / f"{started:%Y-%m-%dT%H%M%S}-n{args.n}.json"
    out.write_text(json.dumps(doc, indent=2) + "\n")
    print(json.dumps(doc, indent=2))
    log(f"wrote {out}")


if __name__ == "__main__":
    main()
