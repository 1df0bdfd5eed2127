"""BM25 speed, side by side: wenda against bm25s, rank_bm25 and SQLite FTS5 on the same passages.

    python bench/retrieval_speed.py --size 12k|1m [--queries N] [--systems a,b] [--work DIR]

Measures, on one machine in one run, for each system in a fresh process of its own
(``bench/systems.py``; one at a time, so each peak-memory figure is that system's alone):

- build: seconds to tokenize, index and persist the passages, and passages per second; two
  processes or threads may be used (``wenda.text.parallel.tokenize_batch`` for everyone);
- query latency p50/p95 in ms, one query at a time on one thread (OMP/MKL/OpenBLAS/numba threads = 1),
  over the first N SQuAD v1.1 dev questions, after 5 untimed warm-up queries; it includes
  tokenizing the query;
- peak memory: the larger of the worker's RSS high-water mark (getrusage) and the summed PSS of the
  worker and its tokenizing child processes, sampled every 0.5 s (PSS, not RSS: forked children
  share the parent's pages);
- index bytes per passage on disk;
- top-10 agreement with bm25s-numba: the mean share of its top 10 found, and the share of queries
  with the same 10 ranked scores (wenda and bm25s compute the same "lucene" BM25; rank_bm25's and
  FTS5's idf differ for frequent terms);
- others' cores: CPU used by other processes meanwhile (each system waits for a quiet machine).

``wenda-index-cli`` is the end-to-end user path, ``python -m wenda index CORPUS --index DIR -r bm25``
(reading files, the SQLite store, passage splitting, BM25), timed as a whole process; at 12k it
reads the 12,100 documents and splits them itself. The corpora are made by ``bench/make_corpus.py``
(its docstring says how the 1M passages are generated). Results go to
``bench/results/retrieval_speed-<size>.json``; a Markdown report goes to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psutil
from cpu import busy_s, children_cpu_s
from make_corpus import cli_input, manifest_path, parse_size

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PEERS = ["bm25s-numba", "bm25s-numpy", "rank_bm25", "sqlite-fts5"]
ALL = ["wenda-bm25", "wenda-index-cli", *PEERS]
SLOW_QUERIES = 20  # rank_bm25 scores every passage in Python: ~2 s per query at 1M
MAX_MB = 16_000  # skip a system whose memory, extrapolated from the 12k run, would pass this
SINGLE_THREAD = {
    k: "1" for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS")
}
QUIET_CORES = 0.5  # start a system only when other processes use less than this (see wait_quiet)
TARGET_P50_MS, TARGET_PER_S = 5.0, 5_000


def log(msg: str) -> None:
    """Progress line with a timestamp, on stderr."""
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _pss_mb(proc: psutil.Process) -> float:
    """Summed PSS (MB) of ``proc`` and its descendants; 0 for any that vanished meanwhile."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            with open(f"/proc/{p.pid}/smaps_rollup") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
        except (OSError, StopIteration):
            pass
    return total / 1024


def wait_quiet(max_wait: float) -> None:
    """Wait (up to ``max_wait`` s) until other processes keep under :data:`QUIET_CORES` cores busy.

    The machine may be shared: another job on one of 2 cores halves what a system can use.
    """
    deadline = time.monotonic() + max_wait
    while (busy := psutil.cpu_percent(interval=3) / 100 * (os.cpu_count() or 1)) >= QUIET_CORES:
        if time.monotonic() > deadline:
            log(f"machine still busy ({busy:.1f} cores) after {max_wait:.0f} s; measuring anyway")
            return
        log(f"other processes keep {busy:.1f} cores busy; waiting")
        time.sleep(27)


def run_measured(cmd: list[str], timeout: float, log_path: Path) -> dict:
    """Run ``cmd`` (cwd: the repository) sampling its memory.

    Returns rc, wall seconds, peak PSS MB, and ``other_cores``: the cores other processes kept busy
    meanwhile, on average (machine busy time less the command's own CPU time, over its wall time).
    """
    env = {**os.environ, **SINGLE_THREAD}
    busy0, mine0 = busy_s(), children_cpu_s()
    t0, peak = time.perf_counter(), 0.0
    with open(log_path, "w") as err:
        proc = psutil.Popen(cmd, cwd=ROOT, env=env, stdout=err, stderr=err)
        while proc.poll() is None:
            peak = max(peak, _pss_mb(proc))
            if time.perf_counter() - t0 > timeout:
                for p in [*proc.children(recursive=True), proc]:
                    p.kill()
                proc.wait()
                return {"rc": "timeout", "wall_s": timeout, "peak_pss_mb": peak}
            time.sleep(0.5)
    wall = time.perf_counter() - t0
    others = max(0.0, (busy_s() - busy0) - (children_cpu_s() - mine0)) / wall
    return {"rc": proc.returncode, "wall_s": wall, "peak_pss_mb": peak, "other_cores": others}


def run_system(name: str, args, n_queries: int, runs: Path) -> dict:
    """One peer or wenda-bm25 via ``bench/systems.py``; the worker's JSON plus memory figures."""
    out = runs / f"{name}.json"
    out.unlink(missing_ok=True)
    shutil.rmtree(runs / name, ignore_errors=True)
    cmd = [sys.executable, str(HERE / "systems.py"), name, "--work", str(args.work), "--size", args.size,
           "--queries", str(n_queries), "--out", str(out)]  # fmt: skip
    proc = run_measured(cmd, args.timeout, runs / f"{name}.log")
    if proc["rc"] != 0 or not out.exists():
        return _failed(name, proc, runs)
    result = json.loads(out.read_text())
    result.update(proc, peak_mb=max(proc["peak_pss_mb"], result["ru_maxrss_mb"]))
    return result


def _failed(name: str, proc: dict, runs: Path) -> dict:
    """The result row of a system that failed or timed out."""
    why = "timed out" if proc["rc"] == "timeout" else f"exit {proc['rc']}"
    return {"system": name, "error": f"{why}; see {runs / name}.log", **proc}


def run_cli(args, runs: Path, corpus_dir: Path) -> dict:
    """``python -m wenda index`` on the corpus, end to end, in a fresh index directory."""
    index = runs / "wenda-index-cli"
    shutil.rmtree(index, ignore_errors=True)
    cmd = [sys.executable, "-m", "wenda", "index", str(corpus_dir), "--index", str(index), "-r", "bm25"]
    proc = run_measured(cmd, args.timeout, runs / "wenda-index-cli.log")
    if proc["rc"] != 0:
        return _failed("wenda-index-cli", proc, runs)
    with sqlite3.connect(index / "docs.sqlite") as db:
        passages = db.execute("SELECT count(*) FROM passages").fetchone()[0]
    store = sum(f.stat().st_size for f in index.glob("docs.sqlite*"))
    bm25 = sum(f.stat().st_size for f in (index / "retrievers" / "bm25").rglob("*") if f.is_file())
    return {"system": "wenda-index-cli", "passages": passages, "build_s": proc["wall_s"],
            "passages_per_s": passages / proc["wall_s"], "peak_mb": proc["peak_pss_mb"],
            "index_bytes": bm25, "store_bytes": store, **proc}  # fmt: skip


def plan_queries(name: str, args, passages: int) -> tuple[int, str | None]:
    """Queries to time for ``name``, or a reason to skip it (rank_bm25's memory and speed at 1M)."""
    if name != "rank_bm25" or passages <= 200_000:
        return args.queries, None
    small = HERE / "results" / "retrieval_speed-12k.json"
    if small.exists():
        row = json.loads(small.read_text())["results"].get("rank_bm25", {})
        if "peak_mb" in row:
            estimate = row["peak_mb"] * passages / row["passages"]  # linear, so an overestimate
            if estimate > MAX_MB:
                return (
                    0,
                    f"skipped: ~{estimate / 1000:.0f} GB expected (from the 12k run), over {MAX_MB / 1000:.0f} GB",
                )
    return min(args.queries, SLOW_QUERIES), None


def _same_scores(a: list[float], b: list[float]) -> bool:
    """Equal ranked score lists, to bm25s' float32 precision."""
    return len(a) == len(b) and all(abs(x - y) <= 1e-4 * max(1.0, abs(y)) for x, y in zip(a, b, strict=True))


def add_agreement(results: dict) -> None:
    """Top-10 agreement of every system with bm25s-numba (or -numpy), over their common queries.

    ``top10_same_scores`` is the share of queries whose 10 ranked scores equal the reference's: the
    test of computing the same BM25, blind to how ties are ordered (wenda by passage id, bm25s not;
    the perturbed copies in the large corpora tie often). rank_bm25 and FTS5 score differently.
    """
    ref_row = results.get("bm25s-numba") or results.get("bm25s-numpy") or {}
    ref, ref_scores = ref_row.get("top10"), ref_row.get("top10_scores")
    for row in results.values():
        tops, scores = row.pop("top10", None), row.pop("top10_scores", None)
        if ref is None or tops is None or row is ref_row:
            continue
        pairs = list(zip(ref, tops, strict=False))  # rank_bm25 may have timed fewer queries
        row["top10_overlap"] = sum(len(set(a) & set(b)) for a, b in pairs) / (10 * len(pairs))
        row["top10_same_list"] = sum(a == b for a, b in pairs) / len(pairs)
        row["top10_same_scores"] = sum(map(_same_scores, scores, ref_scores)) / len(pairs)
    ref_row.pop("top10", None)
    ref_row.pop("top10_scores", None)


def wenda_source() -> str:
    """The commit checked out and a hash of wenda's sources as they are (others may be editing them)."""
    import hashlib

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    digest = hashlib.sha256()
    for f in sorted((ROOT / "wenda").rglob("*.py")):
        digest.update(f.read_bytes())
    return f"{commit.stdout.strip() or '?'} + sources {digest.hexdigest()[:12]}"


def machine() -> dict:
    """CPU, cores, RAM, and the versions of Python, SQLite and the libraries compared."""
    info = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((ln.split(":", 1)[1].strip() for ln in info if ln.startswith("model name")), "?")
    libs = ["tantivy", "bm25s", "rank-bm25", "numba", "numpy", "scipy", "PyStemmer"]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        **{lib: importlib.metadata.version(lib) for lib in libs},
    }


def _fmt(value, spec: str = ",.0f") -> str:
    return "–" if value is None else format(value, spec)


def _pct(share: float | None) -> str:
    return "–" if share is None else f"{100 * share:.1f}%"


def table(results: dict) -> str:
    """The Markdown table of the results."""
    head = ("| system | passages | build s | passages/s | p50 ms | p95 ms | queries | peak MB "
            "| index B/passage | top-10 overlap | same scores | others' cores |")  # fmt: skip
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for name, r in results.items():
        if "error" in r or "skipped" in r:
            lines.append(f"| {name} | {r.get('error') or r['skipped']} |" + " |" * 10)
            continue
        size = _fmt(r["index_bytes"] / r["passages"] if r.get("index_bytes") else None)
        if r.get("store_bytes"):
            size += f" (+ docs.sqlite {r['store_bytes'] / r['passages']:,.0f})"
        lines.append(
            f"| {name} | {r['passages']:,} | {r['build_s']:.1f} | {r['passages_per_s']:,.0f} | "
            f"{_fmt(r.get('p50_ms'), '.2f')} | {_fmt(r.get('p95_ms'), '.2f')} | {_fmt(r.get('queries'))} | "
            f"{r['peak_mb']:,.0f} | {size} | {_pct(r.get('top10_overlap'))} | {_pct(r.get('top10_same_scores'))} | "
            f"{r['other_cores']:.2f} |"
        )
    return "\n".join(lines)


def targets(results: dict, large: bool) -> list[str]:
    """Pass/fail lines for the issue's targets."""
    wenda, cli = results.get("wenda-bm25", {}), results.get("wenda-index-cli", {})
    peers = [results[p] for p in PEERS if p in results and "build_s" in results[p]]
    out = []
    if "p50_ms" in wenda and large:
        out.append(
            _check(
                "wenda-bm25 query p50 < 5 ms", wenda["p50_ms"] < TARGET_P50_MS, f"{wenda['p50_ms']:.2f} ms"
            )
        )
    for row, what in ((cli, "wenda index (CLI)"), (wenda, "wenda-bm25 alone")):
        if "passages_per_s" in row:
            ok = row["passages_per_s"] >= TARGET_PER_S
            out.append(_check(f"{what} >= 5,000 passages/s", ok, f"{row['passages_per_s']:,.0f}/s"))
    metrics = [("passages_per_s", max, "passages/s"), ("p50_ms", min, "p50"), ("p95_ms", min, "p95"),
               ("peak_mb", min, "peak MB"), ("index_bytes", min, "index bytes")]  # fmt: skip
    for key, best, label in metrics:
        vals = [(p[key], p["system"]) for p in peers if p.get(key) is not None]
        if vals and wenda.get(key) is not None:
            top = best(vals)
            ok = best(wenda[key], top[0]) == wenda[key]
            out.append(
                _check(
                    f"wenda-bm25 {label} no worse than best peer",
                    ok,
                    f"{wenda[key]:,.2f} vs {top[1]} {top[0]:,.2f}",
                )
            )
    return out


def _check(what: str, ok: bool, measured: str) -> str:
    return f"- [{'x' if ok else ' '}] {what}: {'met' if ok else 'MISSED'} ({measured})"


def report(doc: dict) -> str:
    """The whole Markdown report."""
    m, c = doc["machine"], doc["corpus"]
    libs = ", ".join(f"{k} {v}" for k, v in m.items() if k not in ("cpu", "cores", "ram_gb"))
    return "\n".join([
        f"## BM25 speed, {doc['size']}: {c['passages']:,} passages ({doc['date']})",
        "",
        f"{m['cpu']}, {m['cores']} cores, {m['ram_gb']} GiB RAM; {libs}; wenda {doc['wenda']}.",
        *([f"\n**Warning**: {doc['warning']}."] if "warning" in doc else []),
        "",
        table(doc["results"]),
        "",
        "build: tokenize + index + persist (2 cores allowed); p50/p95: one query at a time, one thread, "
        "tokenizing included; peak MB: worker and its children; top-10 overlap / same scores: against "
        "bm25s-numba; others' cores: CPU other processes used meanwhile (on average).",
        "",
        *doc["targets"],
    ])  # fmt: skip


def parse_args() -> argparse.Namespace:
    """The command line, checked."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="12k", help="12k (the real passages), 1m, or any count such as 100k")
    ap.add_argument(
        "--queries", type=int, default=1000, help="SQuAD dev questions to time (rank_bm25: 20 above 200K)"
    )
    ap.add_argument("--systems", default=",".join(ALL), help=f"comma-separated, from {','.join(ALL)}")
    ap.add_argument("--work", type=Path, default=Path("/tmp/wenda-bench"), help="corpora and indexes")
    ap.add_argument("--max-wait", type=float, default=600, help="seconds to wait for a quiet machine")
    ap.add_argument("--timeout", type=float, help="seconds per system (default: 900 + 6,000 per 1M passages)")
    args = ap.parse_args()
    args.size, args.work = args.size.lower(), args.work.resolve()
    args.systems = [s for s in args.systems.split(",") if s]
    if set(args.systems) - set(ALL):
        ap.error(f"unknown systems {sorted(set(args.systems) - set(ALL))}; choose from {ALL}")
    if parse_size(args.size) is None:
        args.size = "12k"
    return args


def prepare_corpus(args) -> dict:
    """Make or reuse the corpus (in a child process: the 1M generation's memory is freed with it)."""
    log(f"preparing corpus {args.size} in {args.work}")
    cmd = [sys.executable, str(HERE / "make_corpus.py"), "--size", args.size, "--work", str(args.work)]
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return json.loads(manifest_path(args.work, args.size).read_text())


def run_all(args, corpus: dict) -> dict:
    """Every chosen system in turn, each in its own process."""
    runs = args.work / "runs" / args.size
    runs.mkdir(parents=True, exist_ok=True)
    results = {}
    for system in args.systems:
        n_queries, skip = plan_queries(system, args, corpus["passages"])
        if skip:
            log(f"{system}: {skip}")
            results[system] = {"system": system, "skipped": skip}
            continue
        wait_quiet(args.max_wait)
        log(f"{system}: running" + ("" if system == "wenda-index-cli" else f" ({n_queries} queries)"))
        if system == "wenda-index-cli":
            r = run_cli(args, runs, cli_input(args.work, args.size))
        else:
            r = run_system(system, args, n_queries, runs)
        results[system] = r
        log(f"{system}: {r.get('error') or _summary(r)}")
    add_agreement(results)
    return results


def _summary(r: dict) -> str:
    """One progress line for a finished system."""
    query = f", p50 {r['p50_ms']:.2f} ms" if "p50_ms" in r else ""
    return f"{r['passages_per_s']:,.0f} passages/s{query}, peak {r['peak_mb']:,.0f} MB"


def main() -> None:
    args = parse_args()
    corpus = prepare_corpus(args)
    source = wenda_source()
    args.timeout = args.timeout or 900 + 6000 * corpus["passages"] / 1e6
    results = run_all(args, corpus)
    doc = {"size": args.size, "date": dt.datetime.now().isoformat(timespec="seconds"), "machine": machine(),
           "corpus": corpus, "queries": args.queries, "wenda": source, "results": results}  # fmt: skip
    if wenda_source() != source:
        doc["warning"] = f"wenda's sources changed during the run (from {source} to {wenda_source()})"
    doc["targets"] = targets(results, corpus["passages"] >= 500_000)
    out = HERE / "results" / f"retrieval_speed-{args.size}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(doc, indent=1))
    log(f"wrote {out}")
    print(report(doc))


if __name__ == "__main__":
    main()
