"""The CLI through its real entry point (a subprocess running ``python -m wenda``)."""

from __future__ import annotations

import json
import subprocess
import sys


def wenda(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "wenda", *args], capture_output=True, text=True, timeout=120, cwd=cwd
    )


def test_index_search_json_and_text(tmp_path, docs_dir):
    idx = str(tmp_path / "idx")
    r = wenda("index", str(docs_dir), "--index", idx)
    assert r.returncode == 0, r.stderr
    assert "5 indexed" in r.stderr
    r = wenda("search", "Which river flows through Paris?", "--index", idx, "--k", "2", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert 1 <= len(out["hits"]) <= 2 and "Seine" in out["hits"][0]["text"]
    assert {"source", "title", "start", "end", "score", "rank"} <= set(out["hits"][0])
    r = wenda("search", "Seine", "--index", idx, "--retriever", "tfidf")
    assert r.returncode == 0 and "Seine" in r.stdout and "rivers.txt" in r.stdout


def test_errors_are_one_clear_line(tmp_path, docs_dir):
    idx = str(tmp_path / "idx")
    r = wenda("search", "x", "--index", idx)
    assert r.returncode == 2 and "error:" in r.stderr and "Traceback" not in r.stderr
    wenda("index", str(docs_dir), "--index", idx)
    r = wenda("search", "\x01", "--index", idx)
    assert r.returncode == 2 and "control characters" in r.stderr
    r = wenda("index", str(tmp_path / "missing"), "--index", idx)
    assert r.returncode == 2 and "missing" in r.stderr and "Traceback" not in r.stderr


def test_nothing_indexable_exits_nonzero(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_text("")
    r = wenda("index", str(tmp_path / "d"), "--index", str(tmp_path / "idx"))
    assert r.returncode == 1 and "empty" in r.stderr
