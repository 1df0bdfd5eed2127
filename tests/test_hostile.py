"""Hostile and odd input, property-based (hypothesis): random bytes, random Unicode, random JSON and
pathological files to the ingestion path; random and malformed requests to the HTTP API. Ingestion
either reads a file or reports it (``IngestError``, one line naming it); the API answers every
request with a status below 500. ``--hypothesis-profile=long`` runs many more examples
(RELIABILITY.md reports such a run)."""

from __future__ import annotations

import json
import os
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wenda.collection import Collection
from wenda.corpus.loaders import MAX_HTML_DEPTH, MB, SUPPORTED, read_documents
from wenda.errors import IngestError
from wenda.testing import pdf_from_streams

FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CAP = 2 * MB

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=30,
)


def _read_or_report(path: Path) -> None:
    """The ingestion contract for one file: documents with text, or an IngestError naming it."""
    try:
        docs, warnings = read_documents(path, CAP)
    except IngestError as exc:
        assert path.name in str(exc) and "\n" not in str(exc)
        return
    assert all(d.text.strip() for d in docs) and all(isinstance(w, str) for w in warnings)


@FUZZ
@given(data=st.binary(max_size=3000), ext=st.sampled_from(SUPPORTED))
def test_random_bytes_are_read_or_reported(tmp_path, data, ext):
    path = tmp_path / f"random{ext}"
    path.write_bytes(data)
    _read_or_report(path)


@FUZZ
@given(text=st.text(max_size=2000), ext=st.sampled_from(SUPPORTED))
def test_random_unicode_is_read_or_reported(tmp_path, text, ext):
    path = tmp_path / f"unicode{ext}"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    _read_or_report(path)


@FUZZ
@given(value=json_values, lines=st.lists(json_values, max_size=6))
def test_random_json_and_jsonl_are_read_or_reported(tmp_path, value, lines):
    (tmp_path / "v.json").write_text(json.dumps(value))
    _read_or_report(tmp_path / "v.json")
    (tmp_path / "v.jsonl").write_text("\n".join(json.dumps(x) for x in lines))
    _read_or_report(tmp_path / "v.jsonl")


@FUZZ
@given(
    tags=st.lists(
        st.sampled_from(
            [
                "<div>",
                "</div>",
                "<p>",
                "<b>",
                "</b>",
                "<script>",
                "</script>",
                "<!--",
                "-->",
                "<",
                ">",
                "&amp;",
                "&#0;",
                "text ",
                "<table><tr><td>",
            ]
        ),
        max_size=400,
    )
)
def test_random_markup_is_read_or_reported(tmp_path, tags):
    path = tmp_path / "m.html"
    path.write_text("".join(tags))
    _read_or_report(path)


def test_deeply_nested_html_is_refused_quickly(tmp_path):
    path = tmp_path / "deep.html"
    n = 50 * MAX_HTML_DEPTH  # parsing this would take minutes (see loaders.MAX_HTML_DEPTH)
    path.write_text("<div>" * n + "deep" + "</div>" * n)
    with pytest.raises(IngestError, match="nested more than"):
        read_documents(path, 50 * MB)
    fine = tmp_path / "fine.html"  # sloppy but shallow: unclosed paragraphs and list items
    fine.write_text("<ul>" + "<li><p>item" * 20_000 + "</ul>")
    assert read_documents(fine, 50 * MB)[0]


def test_huge_lines_and_a_pdf_bomb_stay_within_bounds(tmp_path):
    line = tmp_path / "line.txt"
    line.write_text("word " * 400_000)  # one 2 MB line, at the cap
    assert len(read_documents(line, 3 * MB)[0][0].text) == 2_000_000
    content = b"BT /F1 12 Tf 72 720 Td (bomb) Tj ET\n" + b" " * (100 * MB)  # 100 MB inflated, 100 KB on disk
    bomb = tmp_path / "bomb.pdf"
    bomb.write_bytes(pdf_from_streams([zlib.compress(content, 9)], flate=True))
    _read_or_report(bomb)


def _zip_bomb(inflated: int) -> bytes:
    """A zip archive of one member that inflates ``inflated`` bytes of zeros (~1000:1)."""
    import io
    import zipfile

    buf = io.BytesIO()
    with (
        zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf,
        zf.open("zeros.txt", "w", force_zip64=True) as member,
    ):
        for _ in range(inflated // MB):
            member.write(bytes(MB))
    return buf.getvalue()


def test_zip_bombs_are_never_inflated(tmp_path):
    """wenda unpacks no archive: a zip bomb (256 MB of zeros in ~250 KB) in an indexed folder, as .zip
    or disguised under each supported extension, is refused in one line; the good file beside it
    is indexed."""
    root = tmp_path / "docs"
    root.mkdir()
    bomb = _zip_bomb(256 * MB)
    assert len(bomb) < MB
    (root / "bomb.zip").write_bytes(bomb)
    for ext in SUPPORTED:
        (root / f"bomb{ext}").write_bytes(bomb)
        _read_or_report(root / f"bomb{ext}")
    (root / "good.txt").write_text("The Danube flows through Vienna.")
    with Collection.open_or_create(tmp_path / "idx") as col:
        report = col.add([root])
        assert report.updated == 1 and "Vienna" in col.search("Danube Vienna")[0].text
        assert {Path(f).name for f, _ in report.failed} == {f"bomb{ext}" for ext in [*SUPPORTED, ".zip"]}
        assert all("\n" not in m for _, m in report.failed)


@settings(
    max_examples=settings.default.max_examples // 4,  # each example indexes a folder
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(files=st.lists(st.tuples(st.sampled_from(SUPPORTED), st.binary(max_size=500)), min_size=1, max_size=6))
def test_indexing_a_folder_of_junk_reports_each_bad_file_and_loses_nothing(tmp_path_factory, files):
    root = tmp_path_factory.mktemp("junk")
    docs = root / "docs"
    docs.mkdir()
    (docs / "good.txt").write_text("The Seine flows through Paris.")
    for i, (ext, data) in enumerate(files):
        (docs / f"f{i}{ext}").write_bytes(data)
    with Collection.open_or_create(root / "idx") as col:
        report = col.add([docs])
        assert {Path(p).name for p, _ in report.failed} <= {f"f{i}{e}" for i, (e, _) in enumerate(files)}
        assert report.seen == len(files) + 1 and len(report.failed) + report.updated == report.seen
        assert col.search("Seine Paris", k=1)[0].source.endswith("good.txt")


# --- the HTTP API ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from wenda.config import Settings
    from wenda.serve.app import create_app

    root = tmp_path_factory.mktemp("api")
    (root / "docs").mkdir()
    (root / "docs" / "rivers.txt").write_text(
        "Rivers\n\nThe Seine flows through Paris. The Danube flows through Vienna."
    )
    with Collection.open_or_create(root / "idx") as col:
        col.add([root / "docs"])
    app = create_app(root / "idx", cfg=Settings(api_key="k", max_request_kb=64))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


ROUTES = [
    ("POST", "/v1/ask"),
    ("POST", "/v1/search"),
    ("POST", "/v1/documents"),
    ("GET", "/v1/ask"),
    ("GET", "/v1/search"),
]


@FUZZ
@given(route=st.sampled_from(ROUTES), body=json_values, key=st.sampled_from([None, "k", "wrong", ""]))
def test_random_json_requests_never_get_a_server_error(client, route, body, key):
    method, path = route
    headers = {"X-API-Key": key} if key is not None else {}
    if method == "GET":
        params = {str(k): str(v) for k, v in body.items()} if isinstance(body, dict) else {"q": str(body)}
        r = client.get(path, params=params, headers=headers)
    else:
        r = client.post(
            path, content=json.dumps(body), headers={**headers, "content-type": "application/json"}
        )
    assert r.status_code < 500, (route, body, r.text)


@FUZZ
@given(
    route=st.sampled_from(ROUTES[:3]),
    fields=st.fixed_dictionaries(
        {},
        optional={
            "question": json_values,
            "query": json_values,
            "k": json_values,
            "top": json_values,
            "retriever": json_values,
            "documents": st.lists(
                st.fixed_dictionaries({}, optional={"name": json_values, "text": json_values}), max_size=3
            ),
        },
    ),
)
def test_well_shaped_requests_with_wrong_types_never_get_a_server_error(client, route, fields):
    r = client.post(
        route[1], content=json.dumps(fields), headers={"X-API-Key": "k", "content-type": "application/json"}
    )
    assert r.status_code < 500, (route, fields, r.text)


@FUZZ
@given(
    route=st.sampled_from(ROUTES[:3]),
    raw=st.binary(max_size=2000),
    ctype=st.sampled_from(["application/json", "text/plain", "multipart/form-data", ""]),
)
def test_malformed_bodies_never_get_a_server_error(client, route, raw, ctype):
    r = client.post(route[1], content=raw, headers={"content-type": ctype, "X-API-Key": "k"})
    assert r.status_code < 500, (route, raw[:80], r.text)


def test_compressed_bodies_are_not_inflated(client):
    """The API does not decode ``Content-Encoding``: a gzip bomb (100 MB of zeros in ~100 KB) is
    refused as what it is on the wire, an oversized or malformed body, never unpacked."""
    import gzip

    body = gzip.compress(b'{"documents": [{"name": "a.txt", "text": "' + b"0" * (100 * MB) + b'"}]}')
    headers = {"content-type": "application/json", "content-encoding": "gzip", "X-API-Key": "k"}
    small = gzip.compress(b'{"documents": [{"name": "a.txt", "text": "zeros"}]}')
    for raw in (body, small):
        r = client.post("/v1/documents", content=raw, headers=headers)
        assert r.status_code in (400, 413, 415, 422), r.text
    assert client.get("/v1/health").status_code == 200


def test_oversized_bodies_and_hostile_names_are_refused(client):
    big = {"documents": [{"name": "big.txt", "text": "x" * 100_000}]}
    assert client.post("/v1/documents", json=big, headers={"X-API-Key": "k"}).status_code == 413
    before = {d["file"] for d in client.get("/v1/documents").json()["documents"]}
    for name in [
        "../escape.txt",
        "/etc/passwd.txt",
        "..\\win.txt",
        "a/../../b.md",
        ".hidden.txt",
        "nul\x00.txt",
    ]:
        body = {"documents": [{"name": name, "text": "Escape attempt."}]}
        assert client.post("/v1/documents", json=body, headers={"X-API-Key": "k"}).status_code < 500
    added = {d["file"] for d in client.get("/v1/documents").json()["documents"]} - before
    for file in added:  # accepted ones live under sanitized names inside the index's uploads/
        assert Path(file).parent.name == "uploads" and os.path.normpath(file) == file and "\x00" not in file


def test_slow_and_stalled_clients_do_not_block_others(tmp_path):
    """Clients that send half a request and stall (slowloris) hold a connection each, not the
    server: a normal request is still answered."""
    import socket
    import threading
    import time
    import urllib.request

    pytest.importorskip("fastapi")
    import uvicorn

    from wenda.config import Settings
    from wenda.serve.app import create_app

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("The Seine flows through Paris.")
    with Collection.open_or_create(tmp_path / "idx") as col:
        col.add([tmp_path / "docs"])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(tmp_path / "idx", cfg=Settings()), port=port, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    stalled = []
    try:
        for i in range(30):
            c = socket.create_connection(("127.0.0.1", port))
            partial = (
                b"GET /v1/health HTTP/1.1\r\nHost: x\r\n"
                if i % 2
                else b"POST /v1/search HTTP/1.1\r\nContent-Length: 1000\r\n\r\n{"
            )
            c.sendall(partial)
            stalled.append(c)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/search?q=Seine", timeout=30) as r:
            assert r.status == 200 and b"Seine" in r.read()
    finally:
        for c in stalled:
            c.close()
        server.should_exit = True
        thread.join(timeout=30)
