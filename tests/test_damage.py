"""Damaged index files: every file of a built index, truncated, bit-flipped, emptied or deleted,
gives a clear error naming what is wrong (or, where the damage does not matter, the very same
answers), never a library traceback or silently different answers; ``wenda check`` finds it and
``--repair`` rebuilds the retriever from the document store."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

import wenda.encode  # noqa: E402
from wenda import registry  # noqa: E402
from wenda.check import check_index, repair_index  # noqa: E402
from wenda.collection import Collection  # noqa: E402
from wenda.errors import WendaError  # noqa: E402
from wenda.nn.modeldir import ModelError, load_model, save_model  # noqa: E402
from wenda.testing import damage_file  # noqa: E402
from wenda.text.vocab import Vocab  # noqa: E402

TOPICS = ["river", "mountain", "city", "engine", "planet", "tea"]
RETRIEVERS = ["bm25", "tfidf", "dense", "binary", "hybrid"]
MODES = ["truncate", "flip@0.5", "empty", "delete"]


def _encoder(root: Path, bits: int) -> Path:
    torch.manual_seed(0)
    cnn = registry.get("encode", "cnn")
    model = cnn(cnn.Config(bits=bits), Vocab.build([t.split() for t in TOPICS]))
    save_model(model, "encode", wenda.encode.TOKENIZER, root / f"enc{bits}")
    return root / f"enc{bits}"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("damage")
    docs = root / "docs"
    docs.mkdir()
    for i in range(24):
        (docs / f"d{i}.txt").write_text(
            f"Document {i} is about the {TOPICS[i % 6]} and the {TOPICS[(i + 1) % 6]}. " * 4
        )
    params = {"dense": {"encoder": str(_encoder(root, 0))}, "binary": {"encoder": str(_encoder(root, 64))}}
    with Collection.open_or_create(root / "idx", ["bm25", "tfidf", "dense", "binary"], params=params) as col:
        col.add([docs])
    return root / "idx"


def _answers(index: Path) -> dict:
    with Collection.open(index) as col:
        return {
            r: [(h.passage_id, round(h.score, 5)) for h in col.search("river engine tea", k=5, retriever=r)]
            for r in RETRIEVERS
        }


def _data_files(index: Path) -> list[str]:
    """Every file of the index except locks; of tantivy's segments, one file per extension."""
    seen, files = set(), []
    for p in sorted(index.rglob("*")):
        rel = p.relative_to(index).as_posix()
        if not p.is_file() or "lock" in p.name:
            continue
        kind = (p.parent.name, p.suffix) if p.parent.name == "tantivy" else rel
        if kind not in seen:
            seen.add(kind)
            files.append(rel)
    return files


def test_every_damaged_file_gives_a_clear_error_or_the_same_answers(built, tmp_path):
    clean, tried, errors = _answers(built), 0, 0
    for rel in _data_files(built):
        for mode in MODES:
            copy = tmp_path / f"c{tried}"
            shutil.copytree(built, copy)
            if not damage_file(copy / rel, mode):  # an empty file cannot be cut or flipped
                shutil.rmtree(copy)
                continue
            tried += 1
            try:
                answers = _answers(copy)
            except WendaError as exc:  # clear, and names the file or what to repair
                errors += 1
                msg = str(exc)
                assert Path(rel).name in msg or "retriever is damaged" in msg, (rel, mode, msg)
                assert "Traceback" not in msg
            else:
                assert answers == clean, f"{rel} {mode}: answers changed silently"
            shutil.rmtree(copy, ignore_errors=True)  # tantivy may still be closing its files
    assert tried > 100 and errors > 0.75 * tried


@pytest.mark.parametrize(
    "pattern",
    [
        "retrievers/dense/vectors/rows.*.npy",
        "retrievers/binary/codes/ids.*.npy",
        "retrievers/tfidf/seg-0/pids.npy",
        "retrievers/bm25/params.json",
        "retrievers/dense/encoder/model.safetensors",
    ],
)
def test_check_finds_the_damage_and_repair_restores_the_answers(built, tmp_path, pattern):
    index = tmp_path / "idx"
    shutil.copytree(built, index)
    damage_file(next(index.glob(pattern)), "flip@0.5")
    bad = [f for f in check_index(index) if not f.ok]
    assert [f.part for f in bad] == [f"retriever {pattern.split('/')[1]}"]
    assert "--repair" in bad[0].fix
    assert all(f.ok for f in repair_index(index))
    assert _answers(index) == _answers(built)


def test_a_damaged_store_is_reported_with_what_to_do(built, tmp_path):
    index = tmp_path / "idx"
    shutil.copytree(built, index)
    (index / "docs.sqlite").write_bytes(b"")
    findings = check_index(index)
    assert [f.part for f in findings if not f.ok] == ["docs.sqlite"]
    assert "backup" in findings[-1].fix and "emptied" in findings[-1].detail
    with pytest.raises(WendaError, match="holds no wenda document store"):
        Collection.open(index)


def test_altered_document_text_is_an_error_not_a_changed_answer(built, tmp_path):
    import sqlite3

    index = tmp_path / "idx"
    shutil.copytree(built, index)
    with sqlite3.connect(index / "docs.sqlite") as db:  # as a flipped byte inside a page would
        db.execute("UPDATE documents SET text = replace(text, 'river', 'rivet')")
    with pytest.raises(WendaError, match="no longer matches the hash"):
        _answers(index)
    with Collection.open(index) as col, pytest.raises(WendaError, match="no longer matches the hash"):
        col.store.document(1)
    bad = [f for f in check_index(index) if not f.ok]
    assert [f.part for f in bad] == ["docs.sqlite"] and "backup" in bad[0].fix


def test_wenda_check_cli_exit_codes_and_json(built, tmp_path):
    index = tmp_path / "idx"
    shutil.copytree(built, index)

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "wenda", "check", "--index", str(index), *args],
            capture_output=True,
            text=True,
        )

    ok = run("--json")
    assert ok.returncode == 0 and all(f["ok"] for f in json.loads(ok.stdout)["findings"])
    damage_file(next((index / "retrievers" / "tfidf" / "seg-0").glob("tf.npy")), "truncate")
    bad = run()
    assert bad.returncode == 1 and "DAMAGED retriever tfidf" in bad.stdout and "tf.npy" in bad.stdout
    assert run("--repair").returncode == 0 and run().returncode == 0
    assert run_missing(tmp_path).returncode == 1


def run_missing(tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "wenda", "check", "--index", str(tmp_path / "nowhere")],
        capture_output=True,
        text=True,
    )


def test_model_files_are_checked_against_their_digests(tmp_path):
    directory = _encoder(tmp_path, 0)
    load_model(directory, "encode")
    for name in ("model.safetensors", "vocab.json"):
        saved = (directory / name).read_bytes()
        damage_file(directory / name, "flip@0.5")
        with pytest.raises(ModelError, match=f"{name}: its contents differ"):
            load_model(directory, "encode")
        (directory / name).write_bytes(saved)
    load_model(directory, "encode")


@pytest.mark.parametrize(
    ("rel", "message"),
    [
        ("wenda.json", "index format 99, expected 1"),
        ("retrievers/bm25/params.json", "is not a retriever index of format 1"),
        ("retrievers/dense/encoder/config.json", "is not a model of kind .encode. and format 1"),
    ],
)
def test_version_mismatches_say_what_they_found_and_expected(built, tmp_path, rel, message):
    index = tmp_path / "idx"
    shutil.copytree(built, index)
    meta = json.loads((index / rel).read_text())
    (index / rel).write_text(json.dumps({**meta, "format": 99}))
    with pytest.raises(WendaError, match=message):
        _answers(index)
    assert not all(f.ok for f in check_index(index))


def test_the_api_answers_503_with_the_repair_when_a_retriever_is_damaged(built, tmp_path):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from wenda.config import Settings
    from wenda.serve.app import create_app

    index = tmp_path / "idx"
    shutil.copytree(built, index)
    damage_file(next(index.glob("retrievers/bm25/tantivy/*.term")), "flip@0.5")
    with TestClient(create_app(index, cfg=Settings())) as client:
        r = client.get("/v1/search", params={"q": "river"})
        assert r.status_code == 503 and "wenda check" in r.json()["detail"]
        assert client.get("/v1/search", params={"q": "river", "retriever": "tfidf"}).status_code == 200
