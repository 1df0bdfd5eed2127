"""The web page, rendered in-process (the browser test is tests/test_browser.py)."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from wenda.collection import Collection  # noqa: E402
from wenda.config import Settings  # noqa: E402
from wenda.serve.app import create_app  # noqa: E402
from wenda.serve.web import pieces  # noqa: E402


@pytest.fixture
def client(tmp_path, docs_dir):
    (docs_dir / "evil.txt").write_text("The <script>alert(1)</script> tag was found in Paris by the Seine.\n")
    with Collection.open_or_create(tmp_path / "idx") as col:
        col.add([docs_dir])
    with TestClient(create_app(tmp_path / "idx", cfg=Settings())) as c:
        yield c


def test_the_page_answers_without_javascript(client):
    page = client.get("/", params={"q": "Which river flows through Paris?"})
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "<mark>" in page.text and "Seine" in page.text and "/static/htmx-2.0.11.min.js" in page.text
    assert "<script>alert(1)</script>" not in page.text  # passages are escaped
    assert client.get("/").status_code == 200 and 'name="q"' in client.get("/").text
    assert client.get("/static/htmx-2.0.11.min.js").status_code == 200


def test_fragments_why_and_document(client):
    fragment = client.get("/ui/ask", params={"q": "Which river flows through Paris?"})
    assert fragment.status_code == 200 and "<html" not in fragment.text and "why?" in fragment.text
    pid = int(fragment.text.split("passage=")[1].split('"')[0])
    why = client.get("/ui/why", params={"q": "Which river flows through Paris?", "passage": pid})
    assert why.status_code == 200 and 'title="start' in why.text
    assert client.get("/ui/why", params={"q": "x", "passage": 99999}).status_code == 404
    doc_link = fragment.text.split('href="')[1].split('"')[0].replace("&amp;", "&")
    doc = client.get(doc_link)
    assert doc.status_code == 200 and '<mark id="here">' in doc.text
    assert client.get("/ui/document/99999").status_code == 404


def test_pieces_join_back_to_the_text():
    text = "The Seine, in Paris."
    evidence = [(0, 3, 0.1, 0.0), (4, 9, 0.8, 0.5), (11, 13, 0.0, 0.0), (14, 19, 0.0, 0.3)]
    parts = pieces(text, evidence)
    assert "".join(p for p, _, _ in parts) == text
    assert ("Seine", 0.8, 0.5) in parts and (", ", 0.0, 0.0) in parts and (".", 0.0, 0.0) in parts
