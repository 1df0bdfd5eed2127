"""Speed of ``ask`` (issue 6): the pipeline's latency per question, and the HTTP API under load.

    python bench/ask_speed.py latency [--work DIR] [--questions 300] [--threads 2]
    python bench/ask_speed.py http [--work DIR] [--clients 16] [--seconds 60]

Both use the Wikipedia-summary corpus (12,402 passages; built once into ``WORK/index`` as ``wenda
eval qa --dataset nq-open`` builds it: BM25 and TF-IDF, the default retrievers) and NQ-open's
EfficientQA dev questions (not used to choose anything), with the default configuration: BM25
retrieval, the packaged reader reading 10 passages.

``latency`` asks the first ``--questions`` questions in this process (after 5 untimed ones) with
``--threads`` torch threads: p50/p95/p99 of each stage and of the whole call. ``http`` starts
``wenda serve`` on a loopback port and runs ``--clients`` concurrent clients (threads, one
keep-alive connection each) for ``--seconds``, each asking ``GET /v1/ask`` with the questions in
turn: requests per second, latency percentiles, and every non-200 reply or connection error
counted as an error. "others' cores" (latency) is CPU time other processes used meanwhile (this
machine is shared), per second of wall time; "all_cores_busy" (http) the whole machine's. Results go to ``WORK/ask-{latency,http}.json`` with machine and date.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import numpy as np
from cpu import OthersMeter, busy_s

WORK = Path("bench/results/ask")


def _percentiles(ms: list[float]) -> dict[str, float]:
    return {f"p{p}": float(np.percentile(ms, p)) for p in (50, 95, 99)} if ms else {}


def _setup(work: Path):
    """The corpus index (built on first use) and the questions."""
    from wenda.data.nq_open import load_nq_open
    from wenda.data.paths import require
    from wenda.eval.retrieval import open_benchmark

    col, _ = open_benchmark("nq-open", work / "index")
    passages = col.store.counts()["passages"]
    col.close()
    questions = [q.question for q in load_nq_open(require("nq-open/NQ-open.efficientqa.dev.1.1.jsonl"))]
    return passages, questions


def _stamp(out: dict, others_cores: float | None = None) -> dict:
    return {
        **out,
        **({} if others_cores is None else {"others_cores": round(others_cores, 2)}),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def latency(args) -> dict:
    import torch

    from wenda.api import Wenda

    passages, questions = _setup(args.work)
    torch.set_num_threads(args.threads)
    times: dict[str, list[float]] = {}
    with Wenda(args.work / "index") as qa:
        for q in questions[:5]:
            qa.ask(q)  # warm-up: the reader loads, caches fill
        with OthersMeter() as meter:
            for q in questions[5 : 5 + args.questions]:
                start = time.perf_counter()
                result = qa.ask(q)
                times.setdefault("total", []).append(1000 * (time.perf_counter() - start))
                for stage, ms in result.timings_ms.items():
                    times.setdefault(stage, []).append(ms)
        reader = {"reader": qa.reader_name, "reader_precision": qa.settings.reader_precision}
    out = {"passages": passages, "questions": args.questions, "threads": args.threads, **reader}
    return _stamp({**out, "ms": {stage: _percentiles(v) for stage, v in times.items()}}, meter.cores)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _client(port: int, questions: list[str], offset: int, stop: float, log: list) -> None:
    """Ask questions in turn on one keep-alive connection until ``stop``; log (ms, ok)."""
    conn, i = http.client.HTTPConnection("127.0.0.1", port, timeout=60), offset
    while time.perf_counter() < stop:
        path = "/v1/ask?" + urllib.parse.urlencode({"q": questions[i % len(questions)]})
        start = time.perf_counter()
        try:
            conn.request("GET", path)
            reply = conn.getresponse()
            reply.read()
            ok = reply.status == 200
        except (OSError, http.client.HTTPException):
            ok = False
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        log.append((1000 * (time.perf_counter() - start), ok))
        i += 1
    conn.close()


def _serve(index: Path, port: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "wenda", "serve", "--index", str(index), "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/v1/health")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("wenda serve did not start")


def load(args) -> dict:
    passages, questions = _setup(args.work)
    port = _free_port()
    server = _serve(args.work / "index", port)
    try:
        _client(port, questions, 0, time.perf_counter() + 5, [])  # warm-up
        logs: list[list] = [[] for _ in range(args.clients)]
        busy0, t0 = busy_s(), time.perf_counter()
        stop = t0 + args.seconds
        threads = [
            threading.Thread(target=_client, args=(port, questions, 97 * c, stop, logs[c]))
            for c in range(args.clients)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        busy = busy_s() - busy0
    finally:
        server.terminate()
        server.wait(timeout=30)
    replies = [x for log in logs for x in log]
    ms = [m for m, ok in replies if ok]
    out = {
        "passages": passages, "clients": args.clients, "seconds": round(wall, 1), "requests": len(replies),
        "errors": sum(not ok for _, ok in replies), "requests_per_s": round(len(replies) / wall, 2),
        "ms": _percentiles(ms), "all_cores_busy": round(busy / wall, 2),
    }  # fmt: skip
    return _stamp(out)  # the server is another process: all_cores_busy says how busy the machine was


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["latency", "http"])
    parser.add_argument("--work", type=Path, default=WORK)
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    out = latency(args) if args.what == "latency" else load(args)
    (args.work / f"ask-{args.what}.json").write_text(json.dumps(out, indent=2))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
