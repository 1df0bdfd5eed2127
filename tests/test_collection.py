"""The index directory end to end: ingest, update, remove, search with provenance."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from wenda.collection import Collection
from wenda.config import Settings
from wenda.errors import BadQueryError, IndexError_


def _open(index: Path, **kw) -> Collection:
    return Collection.open_or_create(index, cfg=Settings(**kw))


def test_index_and_search_every_format(tmp_path, docs_dir):
    with _open(tmp_path / "idx") as col:
        report = col.add([docs_dir])
        assert report.failed == [] and report.updated == 5
        for retriever in ("bm25", "tfidf"):
            hit = col.search("Which river flows through Paris?", k=3, retriever=retriever)[0]
            assert "Seine" in hit.text and hit.source.endswith("rivers.txt")
            doc = col.store.document(hit.doc_id)
            assert doc["text"][hit.start : hit.end] == hit.text
        assert "Babbage" in col.search("analytical engine")[0].text
        assert "hidden" not in " ".join(h.text for h in col.search("var x hidden", k=10))
        assert col.search("Phobos Deimos")[0].source.endswith("planets.jsonl#mars")
        assert col.search("东海")[0].source.endswith("yangtze.txt")


def test_reindex_unchanged_does_nothing_changed_updates_vanished_removed(tmp_path, docs_dir):
    with _open(tmp_path / "idx") as col:
        col.add([docs_dir])
        seq = col.store.max_seq()
        again = col.add([docs_dir])
        assert again.unchanged == 5 and again.updated == 0 and col.store.max_seq() == seq
        # same content, new mtime: hash says unchanged
        os.utime(docs_dir / "rivers.txt", (1, 1))
        assert col.add([docs_dir]).unchanged == 5 and col.store.max_seq() == seq
        (docs_dir / "rivers.txt").write_text("The Thames flows through London.\n")
        (docs_dir / "page.html").unlink()
        report = col.add([docs_dir])
        assert report.updated == 1 and report.files_removed == 1
        assert col.search("Seine Paris") == [] or "Seine" not in col.search("Seine Paris")[0].text
        assert "Thames" in col.search("Thames London")[0].text
        assert col.search("Babbage analytical") == []
        assert col.store.counts()["files"] == 4


def test_jsonl_update_touches_only_changed_records(tmp_path, docs_dir):
    with _open(tmp_path / "idx") as col:
        col.add([docs_dir])
        mars = col.search("Phobos")[0]
        jsonl = docs_dir / "planets.jsonl"
        jsonl.write_text(jsonl.read_text().replace("bright rings of ice", "rings of ice and rock"))
        report = col.add([docs_dir])
        assert report.docs_added == 1 and report.docs_removed == 0  # one record replaced
        assert col.search("Phobos")[0].passage_id == mars.passage_id  # unchanged record kept its id
        assert "rock" in col.search("Saturn rock")[0].text


def test_remove_paths(tmp_path, docs_dir):
    with _open(tmp_path / "idx") as col:
        col.add([docs_dir])
        col.remove([docs_dir / "sub"])
        assert col.search("oxidised tea") == []
        assert col.store.counts()["files"] == 4


def test_bad_files_reported_run_continues(tmp_path, docs_dir):
    (docs_dir / "empty.txt").write_text("")
    (docs_dir / "blob.txt").write_bytes(b"\x00\x01\x02" * 100)
    (docs_dir / "image.png").write_bytes(b"\x89PNG....")
    (docs_dir / "latin.txt").write_bytes("Café crème brûlée à Paris".encode("latin-1"))
    (docs_dir / "big.txt").write_text("word " * 300_000)
    with _open(tmp_path / "idx", max_file_mb=1) as col:
        report = col.add([docs_dir])
        failed = {Path(p).name: msg for p, msg in report.failed}
        assert set(failed) == {"empty.txt", "blob.txt", "image.png", "big.txt"}
        assert "empty" in failed["empty.txt"] and "binary" in failed["blob.txt"]
        assert "unsupported" in failed["image.png"] and "MB" in failed["big.txt"]
        assert report.ok and report.updated == 6
        assert any(Path(p).name == "latin.txt" for p, _ in report.warnings)
        assert col.search("brûlée")[0].source.endswith("latin.txt")


def test_nothing_indexable_is_not_ok(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x.bin").write_bytes(b"\x00")
    with _open(tmp_path / "idx") as col:
        assert not col.add([tmp_path / "d"]).ok


@pytest.mark.parametrize(
    ("query", "message"),
    [("", "empty"), ("   ", "empty"), ("x" * 3000, "limit"), ("a\x00b", "control"), ("a\x1bb", "control")],
)
def test_bad_queries_get_clear_errors(tmp_path, docs_dir, query, message):
    with _open(tmp_path / "idx") as col:
        col.add([docs_dir])
        with pytest.raises(BadQueryError, match=message):
            col.search(query)


def test_retriever_added_later_is_built_from_the_store(tmp_path, docs_dir):
    with Collection.open_or_create(tmp_path / "idx", ["bm25"]) as col:
        col.add([docs_dir])
        with pytest.raises(BadQueryError):
            col.search("Seine", retriever="tfidf")
    with Collection.open_or_create(tmp_path / "idx", ["tfidf"]) as col:
        col.sync()
        assert "Seine" in col.search("Seine", retriever="tfidf")[0].text


def test_open_missing_or_corrupt_index(tmp_path):
    with pytest.raises(IndexError_, match="missing"):
        Collection.open(tmp_path / "nothing")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "wenda.json").write_text("{not json")
    with pytest.raises(IndexError_, match="corrupt"):
        Collection.open(tmp_path / "bad")


def test_unreadable_or_vanishing_file_is_reported_and_skipped(tmp_path, docs_dir, monkeypatch):
    """Permission bits don't stop root (tests run as root in CI), so the OS error is injected."""
    real = Path.read_bytes

    def read_bytes(self):
        if self.name == "rivers.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    with _open(tmp_path / "idx") as col:
        report = col.add([docs_dir])
        [(path, message)] = report.failed
        assert path.endswith("rivers.txt") and "Permission denied" in message
        assert report.updated == 4


def test_a_missing_path_refuses_the_whole_run_before_any_work(tmp_path, docs_dir):
    from wenda.errors import IngestError

    with _open(tmp_path / "idx") as col:
        with pytest.raises(IngestError, match="no such file or folder"):
            col.add([docs_dir, tmp_path / "missing"])
        assert col.store.counts()["files"] == 0


def test_a_second_writer_is_refused_while_one_is_writing(tmp_path, docs_dir):
    with _open(tmp_path / "idx") as first, _open(tmp_path / "idx", write_wait_s=0) as second:
        with first._writing(), pytest.raises(IndexError_, match="another process is writing"):
            second.add([docs_dir])
        assert second.add([docs_dir]).updated == 5


def test_a_second_writer_waits_for_the_first_within_write_wait_s(tmp_path, docs_dir):
    import threading

    with _open(tmp_path / "idx") as first, _open(tmp_path / "idx", write_wait_s=30) as second:
        held, release = threading.Event(), threading.Event()

        def hold():
            with first._writing():
                held.set()
                release.wait(10)

        holder = threading.Thread(target=hold)
        holder.start()
        held.wait(10)
        threading.Timer(0.3, release.set).start()
        assert second.add([docs_dir]).updated == 5  # waited for the lock, then wrote
        holder.join()


def test_a_reader_follows_what_another_process_writes(tmp_path, docs_dir):
    """Two openings of one index (two server replicas): documents one adds or removes are found, or
    no longer found, by the other's retrievers, which reopen when the on-disk seq moves."""
    with _open(tmp_path / "idx") as writer:
        writer.add([docs_dir])
    new = tmp_path / "more"
    new.mkdir()
    (new / "volcano.txt").write_text("Mount Etna is an active volcano on the island of Sicily.\n")
    with _open(tmp_path / "idx") as writer, _open(tmp_path / "idx") as reader:
        for r in ("bm25", "tfidf"):
            assert reader.search("Etna volcano Sicily", retriever=r) == []
        writer.add([new])
        for r in ("bm25", "tfidf"):
            hit = reader.search("Etna volcano Sicily", retriever=r)[0]
            assert "Etna" in hit.text and hit.source.endswith("volcano.txt")
        writer.remove([new])
        for r in ("bm25", "tfidf"):
            assert all("Etna" not in h.text for h in reader.search("Etna volcano Sicily", retriever=r))


def test_an_interrupted_build_continues_where_it_stopped(tmp_path, monkeypatch):
    """A retriever built from the store steps through the passages; killed during its second step,
    the next sync applies only what the first did not, and the index equals one built without
    interruption."""
    from wenda import registry

    BM25Retriever = registry.get("retriever", "bm25")

    root = tmp_path / "docs"
    root.mkdir()
    for i in range(6):
        (root / f"d{i}.txt").write_text(f"Document {i} tells of river number {i} and its fish.\n")
    monkeypatch.setattr(BM25Retriever, "build_chunk", 2)
    for name in ("clean", "idx"):
        with Collection.open_or_create(tmp_path / name, ["tfidf"]) as col:
            col.add([root])
    with Collection.open_or_create(tmp_path / "clean", ["bm25"]) as col:
        col.sync()
        want = col.search("river fish 4", retriever="bm25")

    applied, apply = [], BM25Retriever.apply

    def apply_then_die(self, ops):
        apply(self, ops)
        applied.append([op.passage_id for op in ops])
        if len(applied) == 2:  # applied, but killed before the step was recorded
            raise KeyboardInterrupt

    monkeypatch.setattr(BM25Retriever, "apply", apply_then_die)
    with pytest.raises(KeyboardInterrupt), Collection.open_or_create(tmp_path / "idx", ["bm25"]) as col:
        col.sync()
    assert (tmp_path / "idx" / "retrievers" / ".bm25.building" / "build.json").exists()
    with Collection.open(tmp_path / "idx") as col:
        col.sync()
        got = col.search("river fish 4", retriever="bm25")
    first, _, *resumed = applied
    assert len(first) == 2 and sorted(p for ops in resumed for p in ops) == list(range(first[-1] + 1, 7))
    assert [(h.text, h.score) for h in got] == [(h.text, h.score) for h in want]
    assert not (tmp_path / "idx" / "retrievers" / ".bm25.building").exists()


def test_add_each_ingests_each_source_with_its_own_report_and_syncs_once(tmp_path, docs_dir, monkeypatch):
    from wenda.index.bm25 import BM25

    commits = []
    apply = BM25.apply
    monkeypatch.setattr(BM25, "apply", lambda self, ops: commits.append(len(ops)) or apply(self, ops))
    notes = tmp_path / "notes"
    notes.mkdir()

    def note(name: str, text: str):
        def save():
            (notes / name).write_text(text)
            return [notes / name]

        return save

    def broken():
        raise OSError("disk gone")

    with _open(tmp_path / "idx") as col:
        col.add([docs_dir])
        commits.clear()
        reports = col.add_each(
            [
                note("a.md", "# A\n\nThe Zorblat flows east."),
                broken,
                note("a.md", "# A\n\nThe Quenmir flows north."),
            ]
        )
        assert [type(r).__name__ for r in reports] == ["IngestReport", "OSError", "IngestReport"]
        assert (reports[0].docs_added, reports[0].docs_removed) == (1, 0)
        assert (reports[2].docs_added, reports[2].updated) == (1, 1)  # the same file, replaced in order
        assert len(commits) == 1  # one commit for the whole group
        assert "Quenmir" in col.search("Quenmir", k=1)[0].text
        assert col.search("Zorblat", k=10) == []
        with pytest.raises(OSError, match="disk gone"):  # add() alone still raises its failure
            col.add(_raising())


def _raising():
    raise OSError("disk gone")
    yield  # a generator: it fails when ingestion reads it


@pytest.mark.parametrize("titles", [False, True])
def test_index_titles_lets_a_passage_be_found_by_its_documents_title(tmp_path, titles):
    """With ``index_titles`` the retrievers read "title\\npassage"; hits still show the passage."""
    docs = tmp_path / "docs"
    docs.mkdir()
    record = {"id": "c1", "title": "Chloroplast", "text": "It captures light energy in plant cells."}
    (docs / "bio.jsonl").write_text(json.dumps(record) + "\n")
    (docs / "other.txt").write_text("Rivers carry water to the sea.")
    with _open(tmp_path / "idx", index_titles=titles) as col:
        col.add([docs])
        for retriever in ("bm25", "tfidf"):
            hits = col.search("chloroplast", k=3, retriever=retriever)
            assert [h.text for h in hits] == (["It captures light energy in plant cells."] if titles else [])
        assert col.meta["titles"] is titles
    with _open(tmp_path / "idx") as col:  # recorded with the index: a later run keeps it
        (docs / "more.jsonl").write_text(
            json.dumps({**record, "id": "c2", "text": "Green organelles."}) + "\n"
        )
        col.add([docs])
        assert len(col.search("chloroplast", k=3, retriever="bm25")) == (2 if titles else 0)
