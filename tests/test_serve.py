"""The HTTP API in-process (FastAPI's TestClient), with the packaged reader."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from wenda.collection import Collection  # noqa: E402
from wenda.config import Settings  # noqa: E402
from wenda.serve.app import create_app  # noqa: E402

KEY = {"X-API-Key": "s3cret"}


@pytest.fixture
def index(tmp_path, docs_dir):
    with Collection.open_or_create(tmp_path / "idx") as col:
        col.add([docs_dir])
    return tmp_path / "idx"


def _client(index, **settings) -> TestClient:
    return TestClient(create_app(index, cfg=Settings(**{"api_key": "s3cret", **settings})))


def test_ask_and_search_get_and_post(index):
    with _client(index) as client:
        r = client.post("/v1/ask", json={"question": "Which river flows through Paris?", "top": 2})
        assert r.status_code == 200, r.text
        best = r.json()["answers"][0]
        assert (
            "Seine" in best["text"] and best["passage"]["text"][best["start"] : best["end"]] == best["text"]
        )
        assert (
            client.get("/v1/ask", params={"q": "Which river flows through Paris?"}).json()["answers"][0]
            == best
        )
        hits = client.get("/v1/search", params={"q": "Seine", "k": 1}).json()["hits"]
        assert len(hits) == 1 and hits[0]["source"].endswith("rivers.txt")
        assert client.post("/v1/search", json={"query": "tea", "k": 2}).json()["hits"][0]["title"] == "Tea"
        health = client.get("/v1/health").json()
        assert health["status"] == "ok" and health["documents"] == 6
        assert "/v1/ask" in client.get("/openapi.json").json()["paths"]


def test_bad_requests_get_clear_errors(index):
    with _client(index, max_request_kb=1) as client:
        assert client.post("/v1/ask", json={"question": ""}).status_code == 422
        assert (
            client.post(
                "/v1/ask", content=b"{not json", headers={"content-type": "application/json"}
            ).status_code
            == 422
        )
        r = client.post("/v1/search", json={"query": "x", "retriever": "nope"})
        assert r.status_code == 400 and "nope" in r.json()["detail"]
        r = client.post("/v1/ask", json={"question": "x" * 1500})
        assert r.status_code == 413
        assert client.get("/v1/search", params={"q": "\x01"}).status_code == 400
        assert client.get("/v1/nothing").status_code == 404


def test_documents_need_the_key_and_go_through_the_index(index):
    with _client(index) as client:
        doc = {
            "documents": [
                {"name": "notes.md", "text": "# Notes\n\nThe Loire is the longest river in France."}
            ]
        }
        assert client.post("/v1/documents", json=doc).status_code == 401
        assert client.post("/v1/documents", json=doc, headers={"X-API-Key": "wrong"}).status_code == 401
        r = client.post("/v1/documents", json=doc, headers=KEY)
        assert r.status_code == 200 and r.json()["documents_added"] == 1
        assert (
            "Loire"
            in client.get("/v1/search", params={"q": "longest river France"}).json()["hits"][0]["text"]
        )
        listed = client.get("/v1/documents").json()
        assert listed["total"] == 7
        notes = next(d for d in listed["documents"] if d["title"] == "Notes")
        bad = {"documents": [{"name": "../../etc/passwd", "text": "x"}]}
        assert client.post("/v1/documents", json=bad, headers=KEY).status_code == 400
        assert client.delete(f"/v1/documents/{notes['id']}").status_code == 401
        r = client.delete(f"/v1/documents/{notes['id']}", headers={"Authorization": "Bearer s3cret"})
        assert r.status_code == 200 and not (index / "uploads" / "notes.md").exists()
        assert client.get("/v1/documents").json()["total"] == 6
        assert client.delete(f"/v1/documents/{notes['id']}", headers=KEY).status_code == 404
        jsonl = next(d for d in listed["documents"] if d["title"] == "Mars")
        assert client.delete(f"/v1/documents/{jsonl['id']}", headers=KEY).status_code == 409


def test_writes_refused_without_a_key_and_reads_can_require_it(index):
    with TestClient(create_app(index, cfg=Settings())) as client:
        r = client.post("/v1/documents", json={"documents": [{"name": "a.txt", "text": "x"}]}, headers=KEY)
        assert r.status_code == 403 and "WENDA_API_KEY" in r.json()["detail"]
    with _client(index, api_key_reads=True) as client:
        assert client.get("/v1/health").status_code == 401
        assert client.get("/v1/health", headers=KEY).status_code == 200
        assert (
            client.get("/v1/health", headers={"X-Request-ID": "abc"} | KEY).headers["x-request-id"] == "abc"
        )


def test_slow_requests_time_out_and_concurrent_ones_are_all_served(index):
    from concurrent.futures import ThreadPoolExecutor

    with _client(index) as client:
        qa, sizes = client.app.state.service.qa, []
        ask_many = qa.ask_many
        qa.ask_many = lambda questions, *a: sizes.append(len(questions)) or ask_many(questions, *a)
        questions = ["Which river flows through Paris?", "How many moons does Mars have?"] * 8
        with ThreadPoolExecutor(8) as pool:
            replies = list(pool.map(lambda q: client.get("/v1/ask", params={"q": q}), questions))
        assert all(r.status_code == 200 for r in replies)
        alone = {q: client.get("/v1/ask", params={"q": q}).json()["answers"] for q in questions[:2]}
        for q, r in zip(questions, replies, strict=True):  # read together = read alone (to float rounding)
            got, want = r.json()["answers"], alone[q]
            assert [(a["text"], a["start"]) for a in got] == [(a["text"], a["start"]) for a in want]
            assert [a["prob"] for a in got] == pytest.approx([a["prob"] for a in want], rel=1e-4)
        assert sum(sizes[: len(sizes) - 2]) == len(questions) and max(sizes) > 1  # some were read together
    with _client(index, request_timeout_s=0.05) as client:
        import time

        service = client.app.state.service
        service.qa.search = lambda *a: time.sleep(0.5) or []
        r = client.get("/v1/search", params={"q": "Seine"})
        assert r.status_code == 504 and "within" in r.json()["detail"]


def test_documents_added_together_are_committed_together(index, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    from wenda.index.bm25 import BM25

    commits = []
    apply = BM25.apply
    monkeypatch.setattr(BM25, "apply", lambda self, ops: commits.append(len(ops)) or apply(self, ops))
    with _client(index) as client:
        client.app.state.service.adds.wait_s = 0.5  # wide enough that the concurrent posts meet
        bodies = [
            {"documents": [{"name": f"n{i}.md", "text": f"# N{i}\n\nNote {i} names the river Quenmir{i}."}]}
            for i in range(12)
        ]
        with ThreadPoolExecutor(12) as pool:
            replies = list(pool.map(lambda b: client.post("/v1/documents", json=b, headers=KEY), bodies))
        assert [(r.status_code, r.json()["documents_added"]) for r in replies] == [(200, 1)] * 12
        assert 1 <= len(commits) < 12  # group commits, not one per request
        for i in range(12):  # each searchable once its reply came
            assert f"Quenmir{i}." in client.get("/v1/search", params={"q": f"Quenmir{i}", "k": 1}).json()["hits"][0]["text"]  # fmt: skip
        assert client.get("/v1/documents").json()["total"] == 6 + 12
        empty = {"documents": [{"name": "ok.md", "text": "# Ok\n\nfine"}, {"name": "e.md", "text": " "}]}
        r = client.post("/v1/documents", json=empty, headers=KEY)
        assert r.status_code == 400 and "empty" in r.json()["detail"]
        assert not (index / "uploads" / "ok.md").exists()  # refused before anything was saved
