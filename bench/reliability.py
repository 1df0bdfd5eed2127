"""Reliability, measured (issue 7): crash safety under SIGKILL, and the HTTP API under mixed load.

    python bench/reliability.py index [--docs 1500] [--kills 20] [--work DIR] [--seed 0]
    python bench/reliability.py serve [--docs 300] [--kills 20] [--work DIR] [--seed 0]
    python bench/reliability.py load [--docs 2000] [--clients 32] [--seconds 300] [--adds 0.1] [--asks 0.67] [--work DIR]
    python bench/reliability.py damage [--docs 1500] [--work DIR]

``index``: a corpus of Wikipedia summaries (``../shared/data/wiki-vital-summaries``, or
``WENDA_DATA``) written as files of every supported type (.txt, .md, .html, .pdf, .jsonl and a
SQuAD-style .json), indexed by ``wenda index`` with BM25, TF-IDF and a dense retriever (a CNN
encoder, seeded and untrained unless ``--encoder DIR``: what is tested is the bookkeeping, not the
ranking). One clean build is timed; then, in rounds, a fresh index is built by runs that are each
killed (SIGKILL) after a random share of the clean build's time, until a run finishes by itself.
After each round the document store (documents, passages), every retriever's size and its answers
to fixed queries must equal the clean build's. Rounds continue until ``--kills`` kills landed.

``serve``: ``wenda serve`` over an empty index receives the corpus as ``POST /v1/documents``
batches; a killer SIGKILLs the server at random moments, the client restarts it and sends the
interrupted batch again (a name sent again replaces its document), as a user's retry would. The
final index must equal one built by the same batches with no kill.

``load``: ``wenda serve`` over an index of ``--docs`` summaries (BM25 and TF-IDF, the defaults) and
the shipped reader; ``--clients`` concurrent clients (threads, one keep-alive connection each) for
``--seconds``, each request drawn at random: ``POST /v1/documents`` adding one new uniquely named
document (``--adds``, default 10%), else ``GET /v1/ask`` or ``GET /v1/search`` (2:1: 60% and 30%). The load stops by itself; the
server listens on loopback only. Counted: requests, 5xx and other errors, latency percentiles per
kind; the server's resident memory every 5 s, all of it and its anonymous part (heaps; the rest is
pages of memory-mapped index files), as first and last minute, peak, and growth per minute after the
first (least squares); afterwards the index must hold every acknowledged document exactly once.

``damage``: the ``index`` corpus built once (BM25, TF-IDF, dense), then every file of the index
damaged in turn, one way at a time, in a fresh copy: truncated to half, emptied, deleted, one byte
flipped at a quarter, half and three quarters of the file, and a 4 KiB block zeroed at its middle.
Each case opens the index and searches with every retriever (and hybrid): it must end in a clear
``WendaError`` (no library exception) or in answers equal to the undamaged index's; never in
different answers. ``wenda check`` must flag every case that errs (except damage to
``wenda.json`` or ``docs.sqlite``, which it reports as not repairable).

Results: ``bench/results/reliability/{index,serve,load,damage}.json`` (RELIABILITY.md reports them).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from wenda.testing import DAMAGES, damage_file, minimal_pdf

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "reliability"
QUERIES = ["history of music", "river delta", "world war", "planet orbit", "human body", "ancient empire"]
RETRIEVERS = ["bm25", "tfidf", "dense"]
KEY = "crash-bench-key"


def summaries(n: int) -> list[tuple[str, str]]:
    """The first ``n`` Wikipedia summaries (title, text), in title order."""
    data = Path(os.environ.get("WENDA_DATA", REPO.parent / "shared" / "data"))
    path = data / "wiki-vital-summaries" / "summaries_en-us.json"
    if not path.exists():
        raise SystemExit(f"{path} is missing: set WENDA_DATA to the data directory")
    items = json.loads(path.read_text(encoding="utf-8"))
    return [(t, items[t]["extract"]) for t in sorted(items)[:n]]


def write_corpus(root: Path, docs: list[tuple[str, str]]) -> dict[str, int]:
    """Write ``docs`` under ``root`` as files of every supported type; return files per type."""
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    groups: dict[str, list] = {".jsonl": [], ".json": []}
    counts: dict[str, int] = {}
    for i, (title, text) in enumerate(docs):
        kind = [".txt", ".md", ".html", ".pdf", ".jsonl", ".json"][i % 6]
        name = root / f"doc{i:05d}{kind}"
        if kind == ".txt":
            name.write_text(f"{title}\n\n{text}\n", encoding="utf-8")
        elif kind == ".md":
            name.write_text(f"# {title}\n\n{text}\n", encoding="utf-8")
        elif kind == ".html":
            name.write_text(
                f"<html><head><title>{title}</title></head><body><p>{text}</p></body></html>",
                encoding="utf-8",
            )
        elif kind == ".pdf":
            name.write_bytes(minimal_pdf([text]))
        else:
            groups[kind].append((title, text))
            continue
        counts[kind] = counts.get(kind, 0) + 1
    for start in range(0, len(groups[".jsonl"]), 25):
        part = groups[".jsonl"][start : start + 25]
        lines = [json.dumps({"id": f"r{start + j}", "title": t, "text": x}) for j, (t, x) in enumerate(part)]
        (root / f"records{start:05d}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        counts[".jsonl"] = counts.get(".jsonl", 0) + 1
    for start in range(0, len(groups[".json"]), 25):
        part = groups[".json"][start : start + 25]
        data = [{"title": t, "paragraphs": [{"context": x, "qas": []}]} for t, x in part]
        (root / f"squad{start:05d}.json").write_text(
            json.dumps({"version": "1.1", "data": data}), encoding="utf-8"
        )
        counts[".json"] = counts.get(".json", 0) + 1
    return counts


def make_encoder(work: Path, docs: list[tuple[str, str]]) -> Path:
    """A seeded, untrained CNN encoder over the corpus' words (exercises the dense path)."""
    import torch

    import wenda.encode
    from wenda import registry
    from wenda.nn.modeldir import save_model
    from wenda.text.vocab import Vocab

    torch.manual_seed(0)
    cnn = registry.get("encode", "cnn")
    vocab = Vocab.build([x.lower().split() for _, x in docs])
    save_model(cnn(cnn.Config(), vocab), "encode", wenda.encode.TOKENIZER, work / "encoder")
    return work / "encoder"


def state(index: Path) -> dict:
    """What must equal a clean build: documents, passages, retriever sizes and answers."""
    from wenda.collection import Collection

    with Collection.open(index) as col:
        q = col.store.conn.execute
        where = str(Path(index).resolve())  # uploads' sources lie under the index directory
        docs = sorted(
            (s.replace(where, "INDEX"), t, x) for s, t, x in q("SELECT source, title, text FROM documents")
        )
        passages = sorted(
            (s.replace(where, "INDEX"), a, b)
            for s, a, b in q(
                "SELECT d.source, p.start, p.end FROM passages p JOIN documents d ON d.id = p.doc_id"
            )
        )
        sizes = {r: len(col.retriever(r)) for r in col.meta["retrievers"]}
        answers = {
            f"{r}: {query}": [
                (h.source.replace(where, "INDEX"), h.start, round(h.score, 4))
                for h in col.search(query, k=10, retriever=r)
            ]
            for r in col.meta["retrievers"]
            for query in QUERIES
        }
    return {"documents": docs, "passages": passages, "sizes": sizes, "answers": answers}


def _compare(want: dict, index: Path, rounds: int, kills: int, failures: list[str]) -> None:
    """Compare ``index`` with the clean build's state, noting a difference in ``failures``."""
    got = state(index)
    diff = [key for key in want if want[key] != got.get(key)]
    if diff:
        failures.append(f"round {rounds}: differs from the clean build in {diff}")
    print(f"round {rounds}: {kills} kills so far, {diff or 'equal'}", file=sys.stderr)


def _index_cmd(corpus: Path, index: Path, encoder: Path) -> list[str]:
    flags = [x for r in RETRIEVERS for x in ("-r", r)]
    return [
        sys.executable,
        "-m",
        "wenda",
        "index",
        str(corpus),
        "--index",
        str(index),
        *flags,
        "--encoder",
        str(encoder),
    ]


def run_index(args) -> dict:
    docs = summaries(args.docs)
    work = args.work
    corpus, encoder = work / "corpus", args.encoder or make_encoder(work, docs)
    counts = write_corpus(corpus, docs)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    clean = work / "clean"
    shutil.rmtree(clean, ignore_errors=True)
    t0 = time.monotonic()
    subprocess.run(_index_cmd(corpus, clean, encoder), check=True, env=env, capture_output=True)
    took = time.monotonic() - t0
    want, rng = state(clean), random.Random(args.seed)
    kills, rounds, failures, runs = 0, 0, [], 0
    while kills < args.kills and rounds < 4 * args.kills:
        rounds += 1
        index = work / "killed"
        shutil.rmtree(index, ignore_errors=True)
        while True:
            proc = subprocess.Popen(
                _index_cmd(corpus, index, encoder), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            runs += 1
            try:
                proc.wait(timeout=rng.uniform(0.05, 0.9) * took)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                kills += 1
                continue
            if proc.returncode:
                failures.append(f"round {rounds}: a resumed run failed: {proc.stderr.read().decode()[-500:]}")
            break
        _compare(want, index, rounds, kills, failures)
    return {
        "what": "wenda index, SIGKILL at random moments, resumed; compared with a clean build",
        "docs": len(docs),
        "files_per_type": counts,
        "retrievers": RETRIEVERS,
        "clean_build_s": round(took, 1),
        "kills": kills,
        "runs": runs,
        "rounds": rounds,
        "rounds_equal_to_clean": rounds - len({f.split(":")[0] for f in failures}),
        "failures": failures,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``wenda serve`` in a child process, restarted on demand."""

    def __init__(self, index: Path) -> None:
        self.index, self.port, self.proc, self.ready = index, _free_port(), None, False

    def start(self) -> None:
        self.ready = False
        env = {**os.environ, "WENDA_API_KEY": KEY, "OMP_NUM_THREADS": "1"}
        cmd = [sys.executable, "-m", "wenda", "serve", "--index", str(self.index), "--port", str(self.port)]
        log = open(self.index.parent / "serve.log", "ab")  # noqa: SIM115 - the child holds it
        self.proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=log)
        for _ in range(600):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/v1/health", timeout=1)
                self.ready = True
                return
            except (urllib.error.URLError, OSError):
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        raise SystemExit(f"wenda serve did not start: see {self.index.parent / 'serve.log'}")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def post(self, documents: list[dict]) -> bool:
        """Send one batch; False when the connection broke (the server was killed)."""
        body = json.dumps({"documents": documents}).encode()
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/v1/documents",
            data=body,
            headers={"Content-Type": "application/json", "X-API-Key": KEY},
        )
        try:
            with urllib.request.urlopen(req, timeout=300) as r:
                return r.status == 200
        except (urllib.error.URLError, ConnectionError, OSError):
            return False


def _batches(docs: list[tuple[str, str]], size: int = 10) -> list[list[dict]]:
    named = [{"name": f"doc{i:05d}.md", "text": f"# {t}\n\n{x}\n"} for i, (t, x) in enumerate(docs)]
    return [named[i : i + size] for i in range(0, len(named), size)]


def _serve_build(
    index: Path, batches: list[list[dict]], kill_every: float | None, rng: random.Random
) -> tuple[int, float]:
    """Post every batch to a server over ``index`` (fresh), killing it at random moments when
    ``kill_every`` (mean seconds between kills) is given; return kills and seconds taken."""
    from wenda.collection import Collection

    shutil.rmtree(index, ignore_errors=True)
    Collection.open_or_create(index, ["bm25"]).close()
    server, kills, t0 = Server(index), 0, time.monotonic()
    server.start()
    stop = threading.Event()

    def killer() -> None:
        nonlocal kills
        while not stop.wait(rng.expovariate(1.0 / kill_every)):
            if server.ready and server.proc.poll() is None:  # kills land while requests are served
                server.kill()
                kills += 1

    thread = threading.Thread(target=killer, daemon=True) if kill_every else None
    if thread:
        thread.start()
    for batch in batches:
        while not server.post(batch):
            if server.proc.poll() is not None:
                server.start()
    stop.set()
    if thread:
        thread.join()
    server.kill()
    return kills, time.monotonic() - t0


def run_serve(args) -> dict:
    docs = summaries(args.docs)
    batches, rng = _batches(docs), random.Random(args.seed)
    _, took = _serve_build(args.work / "serve-clean", batches, None, rng)
    want = state(args.work / "serve-clean")
    kills, rounds, failures = 0, 0, []
    while kills < args.kills and rounds < 20:
        rounds += 1
        got, _ = _serve_build(args.work / "serve-killed", batches, max(took / 4, 2.0), rng)
        kills += got
        _compare(want, args.work / "serve-killed", rounds, kills, failures)
    return {
        "what": "wenda serve killed during POST /v1/documents batches, restarted, batch re-sent",
        "docs": len(docs),
        "batches": len(batches),
        "clean_s": round(took, 1),
        "kills": kills,
        "rounds": rounds,
        "rounds_equal_to_clean": rounds - len(failures),
        "failures": failures,
    }


def _memory_mb(pid: int) -> tuple[float, float, float]:
    """The process's resident memory in MB: all, anonymous (its heaps) and file-backed (pages of
    memory-mapped files, such as index segments, which the kernel can drop and read again)."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return tuple(round(int(status[k].split()[0]) / 1024, 1) for k in ("VmRSS", "RssAnon", "RssFile"))


def _growth(samples: list[tuple], column: int, after: float = 60.0) -> float:
    """MB per minute, the least-squares slope of ``column`` over the samples after ``after`` s."""
    import numpy as np

    t, m = zip(*[(x[0], x[column]) for x in samples if x[0] >= after], strict=True)
    return round(float(np.polyfit(t, m, 1)[0]) * 60, 2)


def _load_client(
    port: int, titles: list[str], stop: float, seed: int, log: list, acked: list, adds: float,
    asks: float = 2 / 3,
) -> None:  # fmt: skip
    """Random requests on one keep-alive connection until ``stop``: a share ``adds`` of document
    adds, the rest asks (a share ``asks`` of them) and searches; log (kind, ms, status)."""
    import http.client
    import urllib.parse

    rng, n = random.Random(seed), 0
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    while time.perf_counter() < stop:
        roll, title = rng.random(), rng.choice(titles)
        if roll < (1 - adds) * asks:
            kind, method, path, body = (
                "ask",
                "GET",
                "/v1/ask?" + urllib.parse.urlencode({"q": f"What is {title}?"}),
                None,
            )
        elif roll < 1 - adds:
            kind, method, path, body = (
                "search",
                "GET",
                "/v1/search?" + urllib.parse.urlencode({"q": title}),
                None,
            )
        else:
            n += 1
            name = f"load-{seed}-{n}.md"
            doc = {
                "name": name,
                "text": f"# Note {seed}-{n}\n\nA note about {title}, number {n} of client {seed}.",
            }
            kind, method, path, body = "add", "POST", "/v1/documents", json.dumps({"documents": [doc]})
        headers = {"X-API-Key": KEY, "Content-Type": "application/json"} if body else {}
        start = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            reply = conn.getresponse()
            reply.read()
            status = reply.status
        except (OSError, http.client.HTTPException):
            status = 0  # connection error
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        log.append((kind, 1000 * (time.perf_counter() - start), status))
        if kind == "add" and status == 200:
            acked.append(name)
    conn.close()


def run_load(args) -> dict:
    import numpy as np

    from wenda.collection import Collection

    docs = summaries(args.docs)
    index = args.work / "load-index"
    shutil.rmtree(index, ignore_errors=True)
    corpus = args.work / "load-corpus"
    write_corpus(corpus, docs)
    with Collection.open_or_create(index) as col:
        col.add([corpus])
    server = Server(index)
    server.start()
    titles, logs, acked, memory = [t for t, _ in docs], [[] for _ in range(args.clients)], [], []
    t0 = time.perf_counter()
    stop = t0 + args.seconds
    threads = [
        threading.Thread(
            target=_load_client, args=(server.port, titles, stop, c, logs[c], acked, args.adds, args.asks)
        )
        for c in range(args.clients)
    ]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        memory.append((round(time.perf_counter() - t0, 1), *_memory_mb(server.proc.pid)))
        time.sleep(5)
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    server.kill()
    with Collection.open(index) as col:
        names = [
            Path(s).name
            for (s,) in col.store.conn.execute(
                "SELECT source FROM documents WHERE source LIKE '%/uploads/load-%'"
            )
        ]
    replies = [x for log in logs for x in log]
    first = [x for x in memory if x[0] <= 60]
    last = [x for x in memory if x[0] >= memory[-1][0] - 60]
    per_kind = {}
    for kind in ("ask", "search", "add"):
        ms = [m for k, m, st in replies if k == kind and st == 200]
        per_kind[kind] = {
            "requests": sum(k == kind for k, _, _ in replies),
            **{f"p{p}": round(float(np.percentile(ms, p)), 1) for p in (50, 95, 99) if ms},
        }
    return {
        "what": f"wenda serve under mixed load: document adds {args.adds:.0%}, of the rest {args.asks:.0%} asks, the others searches",
        "docs": len(docs),
        "clients": args.clients,
        "seconds": round(wall, 1),
        "requests": len(replies),
        "requests_per_s": round(len(replies) / wall, 2),
        "server_errors_5xx": sum(st >= 500 for _, _, st in replies),
        "other_errors": sum(st != 200 and st < 500 for _, _, st in replies),
        "per_kind": per_kind,
        "all_ms": {f"p{p}": round(float(np.percentile([m for _, m, _ in replies], p)), 1) for p in (50, 99)},
        "adds_acknowledged": len(acked),
        "adds_in_index": len(names),
        "adds_lost": len(set(acked) - set(names)),
        "adds_duplicated": len(names) - len(set(names)),
        **{
            f"{name}_mb_{when}": round(sum(x[col] for x in rows) / len(rows), 1)
            for col, name in ((1, "rss"), (2, "anon"))
            for when, rows in (("first_minute", first), ("last_minute", last))
        },
        "rss_mb_peak": max(x[1] for x in memory),
        "anon_mb_peak": max(x[2] for x in memory),
        "growth_mb_per_min_after_1min": {
            "rss": _growth(memory, 1),
            "anon": _growth(memory, 2),
            "file": _growth(memory, 3),
        },
        "memory_samples": memory,
        "failures": [],
    }


def _answers(index: Path) -> dict:
    from wenda.collection import Collection

    with Collection.open(index) as col:
        return {
            (r, q): [
                (h.passage_id, round(h.score, 5), h.source, h.text) for h in col.search(q, k=10, retriever=r)
            ]
            for r in [*col.meta["retrievers"], "hybrid"]
            for q in QUERIES
        }


def run_damage(args) -> dict:
    from wenda.check import check_index
    from wenda.errors import WendaError

    docs = summaries(args.docs)
    corpus, encoder = args.work / "corpus", args.encoder or make_encoder(args.work, docs)
    write_corpus(corpus, docs)
    clean = args.work / "damage-clean"
    shutil.rmtree(clean, ignore_errors=True)
    subprocess.run(_index_cmd(corpus, clean, encoder), check=True, capture_output=True)
    want = _answers(clean)
    files = sorted(p.relative_to(clean) for p in clean.rglob("*") if p.is_file() and "lock" not in p.name)
    outcome = {"clear_error": 0, "same_answers": 0, "other_exception": 0, "different_answers": 0}
    failures, unflagged, copy = [], [], args.work / "damage-copy"
    for rel in files:
        for how in DAMAGES:
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(clean, copy)
            if not damage_file(copy / rel, how):
                continue
            try:
                kind = "same_answers" if _answers(copy) == want else "different_answers"
            except WendaError:
                kind = "clear_error"
                if all(f.ok for f in check_index(copy)):
                    unflagged.append(f"{rel} {how}")
            except BaseException as exc:  # noqa: BLE001 - what is being measured
                if isinstance(exc, KeyboardInterrupt):
                    raise
                kind = "other_exception"
                failures.append(f"{rel} {how}: {type(exc).__name__}: {str(exc)[:200]}")
            if kind == "different_answers":
                failures.append(f"{rel} {how}: answers changed silently")
            outcome[kind] += 1
    shutil.rmtree(copy, ignore_errors=True)
    return {
        "what": "every index file damaged in turn (7 ways); open + search with every retriever",
        "docs": len(docs),
        "files": len(files),
        "cases": sum(outcome.values()),
        **outcome,
        "errors_not_flagged_by_wenda_check": unflagged,
        "failures": failures + [f"wenda check missed: {u}" for u in unflagged],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("mode", choices=["index", "serve", "load", "damage"])
    parser.add_argument("--docs", type=int, default=None)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--encoder", type=Path, default=None)
    parser.add_argument("--work", type=Path, default=Path("/tmp/wenda-reliability"))
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument(
        "--adds", type=float, default=0.1, help="share of requests that add a document (load)"
    )
    parser.add_argument(
        "--asks",
        type=float,
        default=2 / 3,
        help="share of the other requests that ask (load; the rest search)",
    )
    args = parser.parse_args()
    args.docs = args.docs or {"index": 1500, "serve": 300, "load": 2000, "damage": 1500}[args.mode]
    args.work.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.UTC)
    out = {"index": run_index, "serve": run_serve, "load": run_load, "damage": run_damage}[args.mode](args)
    out.update(
        command=" ".join(["python", "bench/reliability.py", *sys.argv[1:]]),
        machine=f"{os.cpu_count()} cores, {sys.platform}",
        date=started.strftime("%Y-%m-%d %H:%M UTC"),
        minutes=round((dt.datetime.now(dt.UTC) - started).total_seconds() / 60, 1),
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.mode}.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps({k: v for k, v in out.items() if k not in ("failures", "memory_samples")}, indent=2))
    if out["failures"]:
        print("\n".join(out["failures"]), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
