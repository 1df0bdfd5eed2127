"""The CLI through its real entry point (a subprocess running ``python -m wenda``)."""

from __future__ import annotations

import json
import shutil
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


def test_piped_text_output_keeps_a_long_path_on_its_line(tmp_path):
    """Piped output is not cut at 80 columns: each hit's source and offsets stay on one line."""
    deep = tmp_path / ("a-rather-long-folder-name" * 3) / "rivers.txt"
    deep.parent.mkdir()
    deep.write_text("The Seine flows through Paris.\n")
    idx = str(tmp_path / "idx")
    assert wenda("index", str(deep.parent), "--index", idx).returncode == 0
    r = wenda("search", "Seine", "--index", idx)
    first = r.stdout.splitlines()[0]
    assert r.returncode == 0 and len(first) > 100 and f"{deep} [0:" in first


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


def _tiny_squad_open(root):
    """A two-paragraph SQuAD file and two Wikipedia summaries in the real files' formats."""
    squad = {
        "version": "1.1",
        "data": [
            {
                "title": "Seine",
                "paragraphs": [
                    {
                        "context": "The Seine flows through Paris to the English Channel.",
                        "qas": [
                            {
                                "id": "q1",
                                "question": "Which city does the Seine flow through?",
                                "answers": [{"text": "Paris", "answer_start": 24}],
                            }
                        ],
                    },
                    {
                        "context": "Tea was first drunk in southwest China.",
                        "qas": [
                            {
                                "id": "q2",
                                "question": "Where was tea first drunk?",
                                "answers": [{"text": "southwest China", "answer_start": 23}],
                            }
                        ],
                    },
                ],
            }
        ],
    }
    wiki = {
        "Danube": {
            "title": "Danube",
            "extract": "The Danube flows through Vienna.",
            "description": "",
            "topic": "x",
        },
        "Mars": {"title": "Mars", "extract": "Mars is a red planet.", "description": "", "topic": "y"},
    }
    (root / "squad-dev").mkdir(parents=True)
    (root / "squad-dev" / "squad-v1.1-dev.json").write_text(json.dumps(squad))
    (root / "wiki-vital-summaries").mkdir()
    (root / "wiki-vital-summaries" / "summaries_en-us.json").write_text(json.dumps(wiki))


def test_eval_retrieval_squad_open_on_tiny_data(tmp_path, monkeypatch):
    _tiny_squad_open(tmp_path / "data")
    monkeypatch.setenv("WENDA_DATA", str(tmp_path / "data"))
    r = wenda("eval", "retrieval", "--dataset", "squad-open", "--index", str(tmp_path / "idx"), "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["passages"] == 4
    for name in ("bm25", "tfidf"):
        res = out["results"][name]
        assert res["questions"] == 2 and res["recall@1"] == 100.0 and res["mrr"] == 1.0
    r = wenda("eval", "retrieval", "--dataset", "nope", "--index", str(tmp_path / "idx"))
    assert r.returncode != 0 and "nope" in r.stderr


def test_eval_refuses_a_benchmark_index_copied_elsewhere(tmp_path, monkeypatch):
    """Its corpus lives inside the index: re-adding it from the copy's path would index it twice."""
    _tiny_squad_open(tmp_path / "data")
    monkeypatch.setenv("WENDA_DATA", str(tmp_path / "data"))
    args = ["eval", "retrieval", "--dataset", "squad-open", "--json", "--index"]
    assert wenda(*args, str(tmp_path / "idx")).returncode == 0
    shutil.copytree(tmp_path / "idx", tmp_path / "copy")
    r = wenda(*args, str(tmp_path / "copy"))
    assert r.returncode != 0 and "built at another path" in r.stderr and "Traceback" not in r.stderr
    r = wenda(*args, str(tmp_path / "idx"))  # the original still works, its passages counted once
    assert r.returncode == 0 and json.loads(r.stdout)["passages"] == 4


def test_eval_without_data_says_where_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("WENDA_DATA", str(tmp_path / "nothing"))
    r = wenda("eval", "retrieval", "--index", str(tmp_path / "idx"))
    assert r.returncode == 2 and "WENDA_DATA" in r.stderr and "Traceback" not in r.stderr
