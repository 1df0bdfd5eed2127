"""Files made by hand for tests and benchmarks (as ``numpy.testing`` is for numpy's): minimal PDFs
and damaged copies of index files.

The PDF writer is written here because the libraries that write PDFs (reportlab, fpdf2) would be
test-only dependencies for a few hundred bytes of fixed syntax, and a zip-bomb test needs a content
stream that no writer would produce (a tiny compressed stream inflating to 100 MB).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

_FONT = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"


def pdf_from_streams(streams: Sequence[bytes], title: str | None = None, flate: bool = False) -> bytes:
    """A valid PDF with one page per content stream (Helvetica as font ``F1``); ``flate`` marks the
    streams as zlib-compressed (``/FlateDecode``); ``title`` goes to the document information."""
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b"", _FONT.encode()]
    kids = []
    filters = b" /Filter /FlateDecode" if flate else b""
    for stream in streams:
        objects.append(b"<< /Length %d%s >>\nstream\n%s\nendstream" % (len(stream), filters, stream))
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % len(objects)
        )
        kids.append(b"%d 0 R" % len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), len(kids))
    info = b""
    if title is not None:
        objects.append(b"<< /Title (%s) >>" % _pdf_string(title))
        info = b" /Info %d 0 R" % len(objects)
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, info, xref)
    return bytes(out)


def minimal_pdf(pages: Sequence[str], title: str | None = None) -> bytes:
    """A valid PDF with one line of text per page (characters outside Latin-1 and PDF's string
    delimiters are dropped)."""
    return pdf_from_streams([b"BT /F1 12 Tf 72 720 Td (%s) Tj ET" % _pdf_string(p) for p in pages], title)


def _pdf_string(text: str) -> bytes:
    return text.encode("latin-1", "ignore").translate(None, b"\\()")


# How a file can be damaged: cut in half, emptied, deleted, one byte flipped at a quarter, half
# and three quarters of its length, 4 KiB zeroed from the middle.
DAMAGES = ("truncate", "empty", "delete", "flip@0.25", "flip@0.5", "flip@0.75", "zero4k")


def damage_file(path: Path, how: str) -> bool:
    """Damage ``path`` one way of :data:`DAMAGES`; False when that way does not apply (an empty
    file cannot be truncated, flipped or zeroed)."""
    if how not in DAMAGES:
        raise ValueError(f"unknown damage {how!r}: one of {', '.join(DAMAGES)}")
    data = bytearray(path.read_bytes())
    if how == "delete":
        path.unlink()
        return True
    if how == "empty":
        path.write_bytes(b"")
        return bool(data)
    if not data:
        return False
    if how == "truncate":
        del data[len(data) // 2 :]
    elif how.startswith("flip@"):
        data[int(float(how[5:]) * (len(data) - 1))] ^= 0xFF
    else:
        mid = len(data) // 2
        data[mid : mid + 4096] = bytes(len(data[mid : mid + 4096]))
    path.write_bytes(bytes(data))
    return True
