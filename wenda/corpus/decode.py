"""Bytes to text for every text-based format: binary and empty checks, encoding detection.

UTF-8 is tried first, strictly, since almost every file today is UTF-8 and a strict decode that
succeeds is never wrong. Otherwise charset-normalizer guesses the legacy encoding; when it cannot,
the text is decoded as UTF-8 with replacement characters rather than refused, and a warning says so.
"""

from __future__ import annotations

import codecs
import re

from wenda.errors import IngestError

# Only the head is scanned: a NUL byte early on means binary, and scanning a whole file is slow.
_SNIFF_BYTES = 8192

# UTF-32 before UTF-16: the UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# charset-normalizer often ranks a Baltic or Central European code page first for short Western
# text (it decodes "français" as cp1257 "franēais"); Windows-1252 is far more common in practice,
# so it wins when it scores almost as well.
_PREFERRED = "cp1252"
_PREFERENCE_SLACK = 0.1
# Matches scoring above this much "chaos" (0..1) are not trusted.
_MAX_CHAOS = 0.2

_NEWLINES = re.compile(r"\r\n?")


def normalize_newlines(text: str) -> str:
    """Turn Windows (``\\r\\n``) and old Mac (``\\r``) line ends into ``\\n``."""
    return _NEWLINES.sub("\n", text) if "\r" in text else text


def decode_bytes(data: bytes, name: str) -> tuple[str, str | None]:
    """Decode a text file's bytes.

    Args:
        data: the file's raw bytes.
        name: how to name the file in errors and warnings.

    Returns:
        ``(text, warning)``: the text with ``\\n`` newlines and no BOM, and a warning when the
        file was not valid UTF-8 (``"decoded as cp1252"``, ``"invalid UTF-8 replaced"``), else None.

    Raises:
        IngestError: the file is binary, empty or whitespace only.
    """
    bom_codec = _bom_codec(data)
    if bom_codec is None and b"\x00" in data[:_SNIFF_BYTES]:
        raise IngestError(f"{name}: binary file")
    text, warning = _decode(data, bom_codec)
    if not text.strip():
        raise IngestError(f"{name}: empty")
    return normalize_newlines(text), warning


def _bom_codec(data: bytes) -> str | None:
    """The UTF-16/32 codec announced by a byte-order mark, or None."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec
    return None


def _decode(data: bytes, bom_codec: str | None) -> tuple[str, str | None]:
    """Decode by BOM, then strict UTF-8, then a guess, then UTF-8 with replacements."""
    if bom_codec is not None:
        try:
            return data.decode(bom_codec), None  # the utf-16/32 codecs consume the BOM
        except UnicodeDecodeError:
            return data.decode(bom_codec, errors="replace"), f"invalid {bom_codec.upper()} replaced"
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    guessed = guess_encoding(data)
    if guessed is not None:
        try:
            return data.decode(guessed), f"decoded as {guessed}"
        except (UnicodeDecodeError, LookupError):
            pass  # a guess that cannot decode the whole file is no guess
    return data.decode("utf-8", errors="replace"), "invalid UTF-8 replaced"


def guess_encoding(data: bytes) -> str | None:
    """charset-normalizer's confident guess for non-UTF-8 bytes, or None.

    Windows-1252 is preferred over the top guess when it scores within a small margin of it (see
    ``_PREFERRED``).
    """
    from charset_normalizer import from_bytes

    matches = [m for m in from_bytes(data) if m.chaos <= _MAX_CHAOS]
    if not matches:
        return None
    best = matches[0]
    for match in matches:
        close = match.chaos <= best.chaos + _PREFERENCE_SLACK
        if close and _PREFERRED in match.could_be_from_charset:
            return _PREFERRED
    return best.encoding
