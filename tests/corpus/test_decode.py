"""Tests for wenda.corpus.decode: encodings, BOMs, binary and empty input."""

from __future__ import annotations

import codecs

import pytest

from wenda.corpus.decode import decode_bytes, normalize_newlines
from wenda.errors import IngestError


def test_utf8_is_decoded_without_warning():
    assert decode_bytes("héllo 你好\n".encode(), "a.txt") == ("héllo 你好\n", None)


def test_utf8_bom_is_stripped():
    assert decode_bytes(codecs.BOM_UTF8 + b"hi", "a.txt") == ("hi", None)


@pytest.mark.parametrize("codec", ["utf-16", "utf-32", "utf-16-be", "utf-32-le"])
def test_utf16_and_utf32_with_bom_are_not_binary(codec):
    bom = {"utf-16-be": codecs.BOM_UTF16_BE, "utf-32-le": codecs.BOM_UTF32_LE}.get(codec, b"")
    data = bom + "héllo wörld".encode(codec)
    assert decode_bytes(data, "a.txt") == ("héllo wörld", None)


def test_newlines_are_normalized():
    assert decode_bytes(b"a\r\nb\rc\n", "a.txt")[0] == "a\nb\nc\n"
    assert normalize_newlines("x\r\r\ny") == "x\n\ny"


def test_nul_bytes_mean_binary():
    with pytest.raises(IngestError, match=r"^a\.bin: binary file$"):
        decode_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a.bin")


def test_nul_after_the_sniffed_head_is_not_binary():
    text, _ = decode_bytes(b"a" * 9000 + b"\x00", "a.txt")
    assert text.startswith("aaa")


@pytest.mark.parametrize(
    "data", [b"", b"   \n\t\r\n", codecs.BOM_UTF8, codecs.BOM_UTF16_LE + " ".encode("utf-16-le")]
)
def test_empty_or_blank_is_refused(data):
    with pytest.raises(IngestError, match=r"^e\.txt: empty$"):
        decode_bytes(data, "e.txt")


def test_latin1_is_guessed_with_a_warning():
    original = "Ceci est un texte en français avec des accents : été, où, déjà, garçon.\n"
    text, warning = decode_bytes(original.encode("latin-1"), "f.txt")
    assert text == original
    assert warning is not None and warning.startswith("decoded as ")


def test_gbk_chinese_is_guessed():
    original = "你好，世界。这是一个测试文件，用于检测编码是否正确。"
    text, warning = decode_bytes(original.encode("gbk"), "c.txt")
    assert text == original
    assert warning is not None and warning.startswith("decoded as ")


def test_undecodable_bytes_are_replaced_with_a_warning():
    # Lone continuation bytes in an ASCII text: no legacy encoding fits better than UTF-8.
    data = b"plain ascii text " * 20 + b"\xff\xfe\xfd" + b" more ascii text"
    text, warning = decode_bytes(data, "x.txt")
    assert "plain ascii text" in text
    assert warning is not None


def test_without_a_confident_guess_utf8_is_decoded_with_replacements(monkeypatch):
    monkeypatch.setattr("wenda.corpus.decode.guess_encoding", lambda data: None)
    text, warning = decode_bytes(b"caf\xe9 ok", "x.txt")
    assert (text, warning) == ("caf\ufffd ok", "invalid UTF-8 replaced")


def test_a_guess_that_cannot_decode_falls_back_to_replacement(monkeypatch):
    monkeypatch.setattr("wenda.corpus.decode.guess_encoding", lambda data: "ascii")
    assert decode_bytes(b"caf\xe9", "x.txt") == ("caf\ufffd", "invalid UTF-8 replaced")
