"""Documents sent to an index as text (the HTTP API's ``POST /v1/documents``) become files in the
index's own ``uploads/`` folder, so they go through the same loaders, change detection and
life cycle as documents indexed from disk: adding one with the same name replaces it, deleting
it deletes the file, and nothing about them lives only in memory."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from wenda.corpus.loaders import SUFFIXES
from wenda.errors import WendaError
from wenda.fileio import atomic_write_bytes

FOLDER = "uploads"
_UNSAFE = re.compile(r"[^\w.\-]+")


class UploadError(WendaError, ValueError):
    """A document that cannot be stored: a bad name, an unsupported type, or empty text."""


def upload_path(index: Path, name: str) -> Path:
    """Where the document called ``name`` is kept: ``index/uploads/<name>``, the name reduced to
    letters, digits, ``.``, ``-`` and ``_`` (no folders, no hidden files) and ending in a type
    wenda reads (``.txt``, ``.md``, ``.html``, ``.jsonl``, ...).

    Raises:
        UploadError: nothing is left of the name, or its type is unsupported.
    """
    clean = _UNSAFE.sub("_", unicodedata.normalize("NFKC", name.strip())).strip("._")
    suffix = Path(clean).suffix.lower()
    if not Path(clean).stem.strip("._"):
        raise UploadError(f"document name {name!r} has no usable characters")
    if suffix not in SUFFIXES or suffix == ".pdf":
        supported = sorted(s for s in SUFFIXES if s != ".pdf")
        raise UploadError(f"document name {name!r}: the type must be one of {supported}")
    return Path(index) / FOLDER / clean


def check_upload(index: Path, name: str, text: str) -> Path:
    """Where :func:`save_upload` would write the document, or :class:`UploadError` if it cannot."""
    if not text.strip():
        raise UploadError(f"document {name!r} is empty")
    return upload_path(index, name)


def save_upload(index: Path, name: str, text: str) -> Path:
    """Write ``text`` (UTF-8) atomically to :func:`upload_path`; returns the path."""
    path = check_upload(index, name, text)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, text.encode("utf-8"))
    return path
