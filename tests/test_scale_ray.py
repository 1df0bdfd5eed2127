"""Tests for wenda.scale.raymap: indexing with a local Ray (2 workers) gives exactly the index a
run without Ray gives: documents, passages, and the answers of every retriever, dense and binary codes included; and
evaluation spread over Ray actors scores exactly as evaluation here."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")
torch = pytest.importorskip("torch")

import wenda.encode  # noqa: E402
from wenda import registry  # noqa: E402
from wenda.collection import Collection  # noqa: E402
from wenda.nn.modeldir import save_model  # noqa: E402
from wenda.testing import minimal_pdf  # noqa: E402
from wenda.text.vocab import Vocab  # noqa: E402

TOPICS = ["river", "mountain", "city", "engine", "planet", "tea"]


@pytest.fixture(scope="module")
def local_ray():
    from wenda.scale.raymap import connect

    connect("local", 2)
    yield
    ray.shutdown()


def _corpus(root: Path) -> Path:
    docs = root / "docs"
    shutil.rmtree(docs, ignore_errors=True)
    docs.mkdir()
    for i in range(40):
        text = f"Passage {i} tells of the {TOPICS[i % 6]} and the {TOPICS[(i * 5 + 1) % 6]}. " * (1 + i % 30)
        kind = i % 4
        if kind == 3:
            (docs / f"d{i}.pdf").write_bytes(minimal_pdf([text[:300]]))
        else:
            (docs / f"d{i}{['.txt', '.md', '.html'][kind]}").write_text(text)
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    return docs


def _state(col: Collection) -> tuple:
    docs = col.store.conn.execute("SELECT source, title, text FROM documents ORDER BY id").fetchall()
    passages = col.store.conn.execute("SELECT id, doc_id, start, end FROM passages ORDER BY id").fetchall()
    answers = {
        (r, q): [(h.passage_id, round(h.score, 5)) for h in col.search(q, 10, r)]
        for r in col.meta["retrievers"]
        for q in ("river engine", "tea on the planet", "city")
    }
    return docs, passages, answers


def test_indexing_on_ray_equals_indexing_here(tmp_path, local_ray):
    torch.manual_seed(0)
    cnn = registry.get("encode", "cnn")
    save_model(cnn(cnn.Config(), Vocab.build([TOPICS])), "encode", wenda.encode.TOKENIZER, tmp_path / "enc")
    save_model(
        cnn(cnn.Config(bits=64), Vocab.build([TOPICS])), "encode", wenda.encode.TOKENIZER, tmp_path / "bits"
    )
    params = {"dense": {"encoder": str(tmp_path / "enc")}, "binary": {"encoder": str(tmp_path / "bits")}}
    states, reports = [], []
    for name, use_ray in (("here", False), ("ray", True)):
        docs = _corpus(tmp_path)  # the same files, written again
        with Collection.open_or_create(
            tmp_path / name, ["bm25", "tfidf", "dense", "binary"], params=params
        ) as col:
            if use_ray:
                col.use_ray("local", 2)
            reports.append(col.add([docs]))
            (docs / "d0.txt").write_text("A changed passage about tea.")  # then an update
            (docs / "d1.md").unlink()
            reports.append(col.add([docs]))
            states.append(_state(col))
    assert states[0] == states[1]
    assert [len(r.failed) for r in reports] == [1, 1, 1, 1]  # broken.pdf, reported each time
    assert reports[0].updated == reports[2].updated == 40
    assert reports[1].updated == reports[3].updated == 1 and reports[3].files_removed == 1


def test_evaluation_on_ray_equals_evaluation_here(tmp_path, local_ray):
    """Retrieval recall, reading (SQuAD EM/F1 and calibration) and end-to-end QA, each with the
    questions spread over 2 Ray actors that open the index and load the reader themselves."""
    from wenda.api import Wenda
    from wenda.data.squad import Question
    from wenda.eval.qa import evaluate_qa
    from wenda.eval.reading import evaluate_reader
    from wenda.eval.retrieval import answer_recall
    from wenda.read.answer import load_reader
    from wenda.scale.raymap import RayTarget

    facts = [
        (f"The {t} of passage {i} is numbered {100 + i}.", f"{100 + i}") for i, t in enumerate(TOPICS * 3)
    ]
    docs = tmp_path / "docs"
    docs.mkdir()
    for i, (text, _) in enumerate(facts):
        (docs / f"f{i}.txt").write_text(text)
    with Collection.open_or_create(tmp_path / "idx", ["bm25"]) as col:
        col.add([docs])
    questions = [
        Question(str(i), f"What number is the {TOPICS[i % 6]} of passage {i}?", (ans,), "", "")
        for i, (_, ans) in enumerate(facts)
    ]
    articles = [{"paragraphs": [{"context": text, "qas": [
        {"id": str(i), "question": q.question, "answers": [{"text": ans, "answer_start": text.index(ans)}]}
    ]} for i, ((text, ans), q) in enumerate(zip(facts, questions, strict=True))]}]  # fmt: skip
    ray2 = RayTarget("local", 2)

    def same(a: dict, b: dict, drop=("ms_per_query", "ms_p50", "ms_p95", "latency_ms")) -> bool:
        """Equal but for timings, and for float rounding (another process, other torch threads)."""
        kept = {k: v for k, v in b.items() if k not in drop}
        return {k: v for k, v in a.items() if k not in drop} == pytest.approx(kept, rel=1e-5)

    with Collection.open(tmp_path / "idx") as col:
        here = answer_recall(col, questions, "bm25", progress=(seen := []).append)
        there = answer_recall(col, questions, "bm25", ray=ray2)
    assert same(here, there) and here["questions"] == 18 and seen[-1] == 18
    reader = load_reader(None)
    here, there = (
        evaluate_reader(reader, articles, batch=4),
        evaluate_reader(reader, articles, batch=4, ray=ray2),
    )
    assert same(here, there) and here["questions"] == 18 and here["f1"] > 0
    with Wenda(tmp_path / "idx") as qa:
        here, there = evaluate_qa(qa, questions), evaluate_qa(qa, questions, ray=ray2)
    assert same(here, there) and set(there["latency_ms"]) >= {"total", "retrieve", "read"}
