"""Tests for wenda.corpus.loaders: each format, bad input, and the folder walk."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from wenda.corpus.loaders import MB, SUPPORTED, iter_files, read_documents
from wenda.errors import IngestError
from wenda.testing import minimal_pdf as make_pdf

CAP = 50 * MB


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def read_one(path: Path):
    (doc,), warnings = read_documents(path, CAP)
    return doc, warnings


# --- formats ---------------------------------------------------------------------------------------


def test_txt_keeps_the_text_and_titles_by_first_line(tmp_path):
    path = write(tmp_path, "notes.txt", "\n\n  First line here  \r\nsecond line\n")
    doc, warnings = read_one(path)
    assert (doc.source, doc.title, doc.text) == (
        str(path),
        "First line here",
        "\n\n  First line here  \nsecond line\n",
    )
    assert doc.meta == {"format": "txt"} and warnings == []


def test_txt_title_is_truncated(tmp_path):
    doc, _ = read_one(write(tmp_path, "long.txt", "x" * 300))
    assert doc.title == "x" * 100


def test_markdown_keeps_raw_text_and_uses_the_first_h1(tmp_path):
    raw = "```sh\n# not a title\n```\nIntro\n\n# Real *Title* ##\n\n## Sub\ntext\n"
    doc, _ = read_one(write(tmp_path, "guide.markdown", raw))
    assert (doc.title, doc.text, doc.meta) == ("Real *Title*", raw, {"format": "md"})


def test_markdown_without_heading_is_titled_by_stem(tmp_path):
    doc, _ = read_one(write(tmp_path, "readme.md", "just text\n"))
    assert doc.title == "readme"


def test_html_drops_invisible_parts_and_breaks_blocks(tmp_path):
    html = """<html><head><title> The   Page </title><style>p {color: red}</style>
    <script>var hidden = 1;</script></head><body><noscript>enable js</noscript>
    <h1>Heading</h1><p>Hello
      <b>big</b>   world</p><div>a<br>b</div><ul><li>one</li><li>two</li></ul>
    <table><tr><td>x</td><td>y</td></tr></table><pre>l1
l2</pre><template><p>tpl</p></template><p>caf&eacute; &amp; &lt;tag&gt;</p>
    <script>alert("x")</script></body></html>"""
    doc, _ = read_one(write(tmp_path, "page.html", html))
    assert doc.title == "The Page"
    assert doc.text == "Heading\nHello big world\na\nb\none\ntwo\nx y\nl1\nl2\ncafé & <tag>"
    assert doc.meta == {"format": "html"}


def test_html_title_falls_back_to_h1_then_stem(tmp_path):
    assert read_one(write(tmp_path, "a.htm", "<h1> Big  one </h1><p>x</p>"))[0].title == "Big one"
    assert read_one(write(tmp_path, "b.htm", "<p>x</p>"))[0].title == "b"


def test_html_with_only_scripts_has_no_text(tmp_path):
    path = write(tmp_path, "empty.html", "<html><head><title>t</title></head><script>x()</script></html>")
    with pytest.raises(IngestError, match="no text extracted"):
        read_documents(path, CAP)


def test_html_meta_charset_is_respected(tmp_path):
    html = '<meta charset="windows-1251"><p>Привет мир</p>'.encode("cp1251")
    doc, warnings = read_one(write(tmp_path, "ru.html", html))
    assert doc.text == "Привет мир" and warnings == []


def test_pdf_pages_and_title(tmp_path):
    doc, warnings = read_one(
        write(tmp_path, "paper.pdf", make_pdf(["Hello first page.", "Second page."], "My Doc"))
    )
    assert doc.text == "Hello first page.\n\nSecond page."
    assert (doc.title, doc.meta, warnings) == ("My Doc", {"format": "pdf", "pages": 2}, [])


def test_pdf_without_title_uses_stem(tmp_path):
    assert read_one(write(tmp_path, "scan.pdf", make_pdf(["Some text"])))[0].title == "scan"


def test_pdf_without_text_is_refused(tmp_path):
    with pytest.raises(IngestError, match="no text extracted"):
        read_documents(write(tmp_path, "blank.pdf", make_pdf([""])), CAP)


@pytest.mark.parametrize("data", [b"%PDF-1.4\n garbage \x00\x01 not a pdf", b"hello, not a pdf at all"])
def test_broken_pdf_is_unreadable(tmp_path, data):
    with pytest.raises(IngestError, match=r"broken\.pdf: unreadable PDF \(.+\)$"):
        read_documents(write(tmp_path, "broken.pdf", data), CAP)


def _encrypt(data: bytes, user: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user, owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_encrypted_pdf_needing_a_password_is_refused(tmp_path):
    path = write(tmp_path, "locked.pdf", _encrypt(make_pdf(["secret"]), user="pw"))
    with pytest.raises(IngestError, match="encrypted PDF"):
        read_documents(path, CAP)


def test_encrypted_pdf_with_empty_password_is_read(tmp_path):
    doc, _ = read_one(write(tmp_path, "open.pdf", _encrypt(make_pdf(["readable"]), user="")))
    assert doc.text == "readable"


def test_jsonl_records_ids_titles_and_bad_lines(tmp_path):
    lines = [
        json.dumps({"id": "a", "title": "Alpha", "text": "first"}),
        "{not json",
        json.dumps({"text": "no id, so line number"}),
        json.dumps({"id": "a", "text": "duplicate"}),
        json.dumps({"id": 7, "text": ""}),
        "",
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": 9, "text": "nine"}),
    ]
    path = write(tmp_path, "c.jsonl", "\n".join(lines) + "\n")
    docs, warnings = read_documents(path, CAP)
    assert [(d.source, d.title, d.text) for d in docs] == [
        (f"{path}#a", "Alpha", "first"),
        (f"{path}#3", "c#3", "no id, so line number"),
        (f"{path}#9", "c#9", "nine"),
    ]
    assert docs[0].meta == {"format": "jsonl", "id": "a", "line": 1}
    assert warnings == [
        "line 2: invalid JSON",
        "line 4: duplicate id 'a' (later one skipped)",
        'line 5: missing or empty "text"',
        "line 7: not a JSON object",
    ]


def test_jsonl_without_valid_lines_is_refused(tmp_path):
    with pytest.raises(IngestError, match=r"no valid JSONL lines \(line 1: invalid JSON\)"):
        read_documents(write(tmp_path, "bad.jsonl", "{oops\n[1]\n"), CAP)


def test_jsonl_warnings_are_capped(tmp_path):
    path = write(tmp_path, "many.jsonl", '{"text": "ok"}\n' + "bad\n" * 30)
    _, warnings = read_documents(path, CAP)
    assert len(warnings) == 21 and warnings[-1] == "... and 10 more lines skipped"


def test_squad_paragraphs_become_documents(tmp_path):
    squad = {
        "version": "1.1",
        "data": [
            {
                "title": "Super_Bowl_50",
                "paragraphs": [{"context": " Ctx one. ", "qas": []}, {"context": "Two", "qas": []}],
            },
            {"title": "Beyonce", "paragraphs": [{"context": "Three", "qas": [{"id": "q", "question": "?"}]}]},
        ],
    }
    path = write(tmp_path, "dev.json", json.dumps(squad))
    docs, warnings = read_documents(path, CAP)
    assert [(d.source, d.title, d.text) for d in docs] == [
        (f"{path}#0-0", "Super Bowl 50", " Ctx one. "),
        (f"{path}#0-1", "Super Bowl 50", "Two"),
        (f"{path}#1-0", "Beyonce", "Three"),
    ]
    assert docs[1].meta == {"format": "squad", "article": "Super Bowl 50", "paragraph": 1}
    assert warnings == []


@pytest.mark.parametrize("content", ['{"rows": [1, 2]}', "[1, 2, 3]", '{"data": [{"title": "x"}]}'])
def test_non_squad_json_is_refused(tmp_path, content):
    with pytest.raises(
        IngestError, match=r"JSON is not SQuAD format; use \.jsonl with \{id,title,text\} lines"
    ):
        read_documents(write(tmp_path, "other.json", content), CAP)


def test_invalid_json_is_refused(tmp_path):
    with pytest.raises(IngestError, match=r"invalid JSON \(Expecting"):
        read_documents(write(tmp_path, "x.json", '{"data": ['), CAP)


# --- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["e.txt", "e.md", "e.pdf", "e.jsonl", "e.html"])
@pytest.mark.parametrize("content", [b"", b"  \n\n\t "])
def test_empty_files_are_refused(tmp_path, name, content):
    with pytest.raises(IngestError, match=r"e\.\w+: empty$"):
        read_documents(write(tmp_path, name, content), CAP)


def test_binary_file_is_refused(tmp_path):
    path = write(tmp_path, "image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    with pytest.raises(IngestError, match=r"image\.txt: binary file$"):
        read_documents(path, CAP)


def test_latin1_file_is_decoded_with_a_warning(tmp_path):
    text = "Über die Straße gehen wir schön, größer und müde, à la carte, garçon.\n"
    doc, warnings = read_one(write(tmp_path, "old.txt", text.encode("latin-1")))
    assert doc.text == text
    assert len(warnings) == 1 and warnings[0].startswith("decoded as ")


def test_oversize_file_is_refused_with_sizes(tmp_path):
    path = write(tmp_path, "big.txt", b"x" * (3 * MB // 2))
    with pytest.raises(IngestError, match=r"big\.txt: 1\.5 MB exceeds the 1 MB cap \(max_file_mb\)$"):
        read_documents(path, MB)


@pytest.mark.parametrize("name, shown", [("data.xyz", ".xyz"), ("Makefile", "(no extension)")])
def test_unsupported_extension_is_refused(tmp_path, name, shown):
    with pytest.raises(
        IngestError, match=rf"unsupported file type {shown}$".replace("(", r"\(").replace(")", r"\)")
    ):
        read_documents(write(tmp_path, name, "text"), CAP)


def test_extension_is_case_insensitive(tmp_path):
    assert read_one(write(tmp_path, "LOUD.TXT", "hi"))[0].text == "hi"


def test_missing_file_is_unreadable(tmp_path):
    with pytest.raises(IngestError, match=r"gone\.txt: unreadable \(No such file or directory\)$"):
        read_documents(tmp_path / "gone.txt", CAP)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_is_refused(tmp_path):
    path = write(tmp_path, "secret.txt", "hidden")
    path.chmod(0)
    with pytest.raises(IngestError, match=r"unreadable \(Permission denied\)"):
        read_documents(path, CAP)


def test_every_supported_type_has_a_loader(tmp_path):
    assert set(SUPPORTED) == {".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".jsonl", ".json"}


# --- iter_files ------------------------------------------------------------------------------------


def test_folders_are_walked_sorted_skipping_hidden(tmp_path):
    for name in ["b.txt", "a.md", "sub/c.txt", "sub/deeper/d.pdf", ".hidden.txt", ".git/x.txt", "z.png"]:
        write(tmp_path, name, "x")
    found = [p.relative_to(tmp_path.resolve()).as_posix() for p in iter_files([tmp_path])]
    assert found == ["a.md", "b.txt", "sub/c.txt", "sub/deeper/d.pdf", "z.png"]
    assert all(p.is_absolute() for p in iter_files([tmp_path]))


def test_files_named_directly_are_yielded_once(tmp_path):
    hidden = write(tmp_path, ".hidden.txt", "x")
    other = write(tmp_path, "a.txt", "x")
    assert list(iter_files([hidden, other, tmp_path])) == [hidden.resolve(), other.resolve()]


def test_missing_path_is_an_error(tmp_path):
    with pytest.raises(IngestError, match="no such file or folder"):
        list(iter_files([tmp_path / "nope"]))


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlinks_are_followed_only_when_asked(tmp_path):
    outside = write(tmp_path, "outside/target.txt", "x")
    root = tmp_path / "root"
    write(root, "real.txt", "x")
    (root / "link.txt").symlink_to(outside)
    (root / "linkdir").symlink_to(outside.parent, target_is_directory=True)
    (root / "loop").symlink_to(root, target_is_directory=True)
    assert [p.name for p in iter_files([root])] == ["real.txt"]
    followed = list(iter_files([root], follow_symlinks=True))
    assert followed == [outside.resolve(), (root / "real.txt").resolve()]
