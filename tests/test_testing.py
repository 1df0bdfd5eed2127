"""Tests for wenda.testing, the hand-made files the other tests and the benchmarks use."""

from __future__ import annotations

import zlib

import pytest
from pypdf import PdfReader

from wenda.testing import DAMAGES, damage_file, minimal_pdf, pdf_from_streams


def test_minimal_pdf_reads_back_page_by_page_with_its_title(tmp_path):
    path = tmp_path / "a.pdf"
    path.write_bytes(minimal_pdf(["First (page)", "Café"], title="T"))
    pdf = PdfReader(path)
    assert [p.extract_text() for p in pdf.pages] == ["First page", "Café"]
    assert pdf.metadata.title == "T"


def test_compressed_streams_are_inflated_by_readers(tmp_path):
    path = tmp_path / "z.pdf"
    path.write_bytes(pdf_from_streams([zlib.compress(b"BT /F1 12 Tf 72 720 Td (zipped) Tj ET")], flate=True))
    assert PdfReader(path).pages[0].extract_text() == "zipped"


@pytest.mark.parametrize("how", DAMAGES)
def test_each_damage_changes_the_file_or_says_it_cannot(tmp_path, how):
    path, empty = tmp_path / "f.bin", tmp_path / "e.bin"
    path.write_bytes(bytes(range(256)) * 40)
    empty.write_bytes(b"")
    assert damage_file(path, how)
    assert not path.exists() if how == "delete" else path.read_bytes() != bytes(range(256)) * 40
    assert damage_file(empty, how) == (how == "delete")


def test_an_unknown_damage_is_refused(tmp_path):
    (tmp_path / "f").write_bytes(b"x")
    with pytest.raises(ValueError, match="unknown damage"):
        damage_file(tmp_path / "f", "shred")
