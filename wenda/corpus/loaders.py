"""Readers for each supported file format: a file becomes one or more :class:`Document`.

One small function per format, chosen by file extension from ``_LOADERS``. Every failure becomes an
:class:`IngestError` whose message names the file and one specific reason, so ingestion can report
it and move on; recoverable problems (a bad JSONL line, a guessed encoding) are warnings instead.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from wenda.corpus.decode import decode_bytes, normalize_newlines
from wenda.errors import IngestError
from wenda.types import Document

SUPPORTED = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".jsonl", ".json")
MB = 1 << 20
"""Bytes in the megabyte of ``max_file_mb``: pass ``max_bytes=int(max_file_mb * MB)``."""

_TITLE_CHARS = 100
# A corpus with thousands of bad lines would otherwise bury the report in warnings.
_MAX_LINE_WARNINGS = 20

log = logging.getLogger(__name__)

Loaded = tuple[list[Document], list[str]]


def iter_files(paths: Iterable[Path], follow_symlinks: bool = False) -> Iterator[Path]:
    """The files to ingest under ``paths``, each once, as absolute resolved paths.

    A file named directly is yielded whatever its name. A folder is walked recursively in sorted
    order, skipping names that start with "." and, unless ``follow_symlinks``, symbolic links;
    sockets, pipes and the like are skipped.

    Raises:
        IngestError: a path does not exist or is neither a file nor a folder; raised by this call,
            before any file is yielded, so a caller never stops half-way through.
    """
    paths = [Path(p) for p in paths]
    for path in paths:
        if not path.exists():
            raise IngestError(f"{path}: no such file or folder")
        if not (path.is_dir() or path.is_file()):
            raise IngestError(f"{path}: not a regular file or folder")
    return _unique_files(paths, follow_symlinks)


def _unique_files(paths: list[Path], follow_symlinks: bool) -> Iterator[Path]:
    seen: set[Path] = set()
    for path in paths:
        found = (
            _walk(path.resolve(), follow_symlinks, {path.resolve()})
            if path.is_dir()
            else iter([path.resolve()])
        )
        for file in found:
            if file not in seen:
                seen.add(file)
                yield file


def _walk(folder: Path, follow_symlinks: bool, visited: set[Path]) -> Iterator[Path]:
    """Regular files under ``folder``, depth first in name order; ``visited`` stops link cycles."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        log.warning("skipping folder %s: %s", folder, exc.strerror or exc)
        return
    for entry in entries:
        if entry.name.startswith(".") or (entry.is_symlink() and not follow_symlinks):
            continue
        path = Path(entry.path).resolve() if follow_symlinks else Path(entry.path)
        if entry.is_dir():
            if path not in visited:
                yield from _walk(path, follow_symlinks, visited | {path})
        elif entry.is_file():
            yield path


def read_documents(path: Path, max_bytes: int) -> Loaded:
    """Read one file into documents.

    Args:
        path: the file; its extension picks the format (see ``SUPPORTED``).
        max_bytes: larger files are refused.

    Returns:
        ``(documents, warnings)``; warnings are one-line notes about recoverable problems.

    Raises:
        IngestError: unsupported type, too large, unreadable, binary, empty, unparsable, or no
            text in it; the message is one line naming the file and the reason.
    """
    path = Path(path)
    _loader(path)  # refuse an unsupported type before reading it
    return parse_documents(path, read_file(path, max_bytes))


def _loader(path: Path) -> Callable[[Path, bytes], Loaded]:
    suffix = path.suffix.lower()
    loader = _LOADERS.get(suffix)
    if loader is None:
        raise IngestError(f"{path}: unsupported file type {suffix or '(no extension)'}")
    return loader


def parse_documents(path: Path, data: bytes) -> Loaded:
    """Documents from a file's bytes already read (see :func:`read_documents`)."""
    path = Path(path)
    loader = _loader(path)
    if not data.strip():
        raise IngestError(f"{path}: empty")
    docs, warnings = loader(path, data)
    if not docs:
        raise IngestError(f"{path}: no text extracted")
    return docs, warnings


def read_file(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, after checking its size against the cap."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise IngestError(
                f"{path}: {size / MB:.1f} MB exceeds the {max_bytes / MB:.4g} MB cap (max_file_mb)"
            )
        return path.read_bytes()
    except OSError as exc:
        raise IngestError(f"{path}: unreadable ({exc.strerror or exc})") from None


def _doc(path: Path, title: str, text: str, fmt: str, **meta) -> Document:
    """A single-document file's Document."""
    return Document(source=str(path), title=title or path.stem, text=text, meta={"format": fmt, **meta})


def _decode(path: Path, data: bytes) -> tuple[str, list[str]]:
    """Decoded text and its warning, if any, as a list."""
    text, warning = decode_bytes(data, str(path))
    return text, [warning] if warning else []


# --- plain text and Markdown -------------------------------------------------------------------


def _load_txt(path: Path, data: bytes) -> Loaded:
    text, warnings = _decode(path, data)
    first = next(line.strip() for line in text.splitlines() if line.strip())
    return [_doc(path, first[:_TITLE_CHARS], text, "txt")], warnings


_FENCE_RE = re.compile(r"^ {0,3}(```|~~~)")
_H1_RE = re.compile(r"^ {0,3}#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")


def _load_md(path: Path, data: bytes) -> Loaded:
    # Raw Markdown is kept so passage offsets point into the file as the user sees it.
    text, warnings = _decode(path, data)
    return [_doc(path, _markdown_title(text), text, "md")], warnings


def _markdown_title(text: str) -> str:
    """The first level-one ``# heading`` outside code fences, or ``""``."""
    in_fence = False
    for line in text.splitlines():
        if _FENCE_RE.match(line):
            in_fence = not in_fence
        elif not in_fence and (m := _H1_RE.match(line)):
            return m.group(1).strip()[:_TITLE_CHARS]
    return ""


# --- HTML ----------------------------------------------------------------------------------------

_INVISIBLE = "script, style, noscript, template, head, svg, iframe, object"
_BLOCKS = (
    "address, article, aside, blockquote, br, caption, dd, details, div, dl, dt, fieldset, "
    "figcaption, figure, footer, form, h1, h2, h3, h4, h5, h6, header, hr, li, main, nav, ol, p, "
    "section, summary, table, tr, ul"
)
# A private-use character (removed from the source first) marks block borders while runs of
# source whitespace, newlines included, are collapsed; control characters would not do, as
# \x1c-\x1f count as whitespace.
_BREAK = "\ue000"
_SPACES_RE = re.compile(r"\s+")
_BREAKS_RE = re.compile(rf" *{_BREAK}[{_BREAK} ]*")
_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)


# lexbor builds the tree in time proportional to bytes x nesting depth: 40,000 nested <div>s take
# 5 s, 200,000 take 150 s (measured), while real pages nest a few dozen levels. Deeper is refused.
MAX_HTML_DEPTH = 4096
_TAG_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)")
# Elements that never nest (void) or close themselves when a sibling starts (so sloppy pages that
# never close their <p>s or <li>s are not counted as deep).
_FLAT = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
        "p",
        "li",
        "dt",
        "dd",
        "option",
        "optgroup",
        "tr",
        "td",
        "th",
        "thead",
        "tbody",
        "tfoot",
        "rb",
        "rt",
        "rp",
    ]
)


def _nesting_depth(text: str, limit: int) -> int:
    """How deep elements nest (an upper bound, counted from tags alone, in linear time); counting
    stops above ``limit``."""
    depth = deepest = 0
    for m in _TAG_RE.finditer(text):
        if m.group(2).lower() in _FLAT:
            continue
        depth = max(depth - 1, 0) if m.group(1) else depth + 1
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                break
    return deepest


def _load_html(path: Path, data: bytes) -> Loaded:
    from selectolax.lexbor import LexborHTMLParser

    text, warnings = _decode_html(path, data)
    if _nesting_depth(text, MAX_HTML_DEPTH) > MAX_HTML_DEPTH:
        raise IngestError(
            f"{path}: elements nested more than {MAX_HTML_DEPTH} deep: refused as pathological HTML"
        )
    try:
        tree = LexborHTMLParser(text.replace(_BREAK, " "))
        title = _html_title(tree)
        body = _visible_text(tree)
    except Exception as exc:  # selectolax raises assorted errors on pathological markup
        raise IngestError(f"{path}: unparsable HTML ({exc})") from None
    return ([_doc(path, title, body, "html")] if body else []), warnings


def _decode_html(path: Path, data: bytes) -> tuple[str, list[str]]:
    """Decode, trusting a ``<meta charset>`` declaration when the bytes are not UTF-8."""
    text, warnings = _decode(path, data)
    declared = _META_CHARSET_RE.search(data[:4096])
    if warnings and declared:
        try:
            return normalize_newlines(data.decode(declared.group(1).decode("ascii"))), []
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong declaration: keep the guess
    return text, warnings


def _html_title(tree) -> str:
    """The ``<title>``, else the first ``<h1>``, whitespace collapsed; ``""`` if neither."""
    for selector in ("title", "h1"):
        node = tree.css_first(selector)
        if node is not None and (title := _SPACES_RE.sub(" ", node.text()).strip()):
            return title[:_TITLE_CHARS]
    return ""


def _visible_text(tree) -> str:
    """The page's visible text, one line per block element, spaces collapsed."""
    for node in tree.css(_INVISIBLE):
        node.decompose()
    for node in tree.css("pre"):
        # Line breaks are content inside <pre>: mark them before whitespace is collapsed.
        node.replace_with(_BREAK + node.text().replace("\n", _BREAK) + _BREAK)
    for node in tree.css(_BLOCKS):
        node.insert_before(_BREAK)
        node.insert_after(_BREAK)
    for node in tree.css("td, th"):
        node.insert_after(" ")
    root = tree.body or tree.root
    raw = root.text(separator="") if root is not None else ""
    collapsed = _SPACES_RE.sub(" ", raw)
    return _BREAKS_RE.sub("\n", collapsed).strip()


# --- PDF -----------------------------------------------------------------------------------------


def _load_pdf(path: Path, data: bytes) -> Loaded:
    from pypdf import PdfReader

    # pypdf raises many exception types on damaged files (PdfReadError, but also ValueError,
    # KeyError, struct errors...), so anything it raises means "unreadable".
    try:
        reader = PdfReader(io.BytesIO(data))
        _unlock(path, reader)
        pages, warnings = _pdf_pages(reader)
        title = _pdf_title(reader)
    except IngestError:
        raise
    except Exception as exc:
        raise IngestError(f"{path}: unreadable PDF ({_one_line(exc)})") from None
    text = normalize_newlines("\n\n".join(pages)).replace("\x00", "")
    if not text.strip():
        raise IngestError(f"{path}: no text extracted (a scanned PDF needs OCR first)")
    return [_doc(path, title, text, "pdf", pages=len(pages))], warnings


def _unlock(path: Path, reader) -> None:
    """Open an encrypted PDF with the empty password, as viewers do, or refuse it."""
    from pypdf import PasswordType

    if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
        raise IngestError(f"{path}: encrypted PDF (needs a password)")


def _pdf_pages(reader) -> tuple[list[str], list[str]]:
    """Each page's text; a page that fails is left empty with a warning rather than losing the file."""
    pages, warnings = [], []
    for number, page in enumerate(reader.pages, start=1):
        try:
            pages.append(page.extract_text() or "")
        except Exception as exc:  # see _load_pdf
            pages.append("")
            warnings.append(f"page {number}: text not extracted ({_one_line(exc)})")
    return pages, warnings


def _pdf_title(reader) -> str:
    """The title in the PDF's metadata, or ``""``."""
    title = reader.metadata.title if reader.metadata else None
    return _SPACES_RE.sub(" ", title).strip()[:_TITLE_CHARS] if isinstance(title, str) else ""


def _one_line(exc: Exception) -> str:
    """An exception as a short single line for an error message."""
    text = _SPACES_RE.sub(" ", str(exc)).strip() or type(exc).__name__
    return text[:200]


# --- JSON Lines and SQuAD ------------------------------------------------------------------------


def _load_jsonl(path: Path, data: bytes) -> Loaded:
    text, warnings = _decode(path, data)
    docs: list[Document] = []
    problems: list[str] = []
    seen: set[str] = set()
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        doc, problem = _jsonl_record(path, line, number)
        if doc is not None and doc.meta["id"] in seen:
            doc, problem = None, f"duplicate id {doc.meta['id']!r} (later one skipped)"
        if doc is None:
            problems.append(f"line {number}: {problem}")
            continue
        seen.add(doc.meta["id"])
        docs.append(doc)
    if not docs:
        first = f" ({problems[0]})" if problems else ""
        raise IngestError(f"{path}: no valid JSONL lines{first}")
    return docs, warnings + _capped(problems)


def _jsonl_record(path: Path, line: str, number: int) -> tuple[Document | None, str]:
    """One line's Document, or None and the reason it is skipped."""
    try:
        record = json.loads(line)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        return None, "invalid JSON"
    if not isinstance(record, dict):
        return None, "not a JSON object"
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        return None, 'missing or empty "text"'
    key = record.get("id", number)
    if isinstance(key, bool) or not isinstance(key, (str, int)):
        return None, '"id" must be a string or an integer'
    key = str(key)
    title = record.get("title")
    title = title.strip() if isinstance(title, str) and title.strip() else f"{path.stem}#{key}"
    meta = {"format": "jsonl", "id": key, "line": number}
    return Document(source=f"{path}#{key}", title=title, text=text, meta=meta), ""


def _capped(problems: list[str]) -> list[str]:
    """The first warnings and a count of the rest."""
    if len(problems) <= _MAX_LINE_WARNINGS:
        return problems
    rest = len(problems) - _MAX_LINE_WARNINGS
    return [*problems[:_MAX_LINE_WARNINGS], f"... and {rest} more lines skipped"]


_NOT_SQUAD = "JSON is not SQuAD format; use .jsonl with {id,title,text} lines"


def _load_json(path: Path, data: bytes) -> Loaded:
    text, warnings = _decode(path, data)
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise IngestError(f"{path}: invalid JSON ({_one_line(exc)})") from None
    articles = obj.get("data") if isinstance(obj, dict) else None
    if not isinstance(articles, list) or not all(_is_article(a) for a in articles):
        raise IngestError(f"{path}: {_NOT_SQUAD}")
    docs: list[Document] = []
    for i, article in enumerate(articles):
        title = str(article.get("title") or f"{path.stem} {i}").replace("_", " ")
        for j, paragraph in enumerate(article["paragraphs"]):
            context = paragraph.get("context") if isinstance(paragraph, dict) else None
            if not isinstance(context, str) or not context.strip():
                warnings.append(f"article {i} paragraph {j}: no context (skipped)")
                continue
            meta = {"format": "squad", "article": title, "paragraph": j}
            docs.append(Document(source=f"{path}#{i}-{j}", title=title, text=context, meta=meta))
    return docs, _capped(warnings)


def _is_article(article: object) -> bool:
    """Whether ``article`` looks like a SQuAD article: a dict with a list of paragraphs."""
    return isinstance(article, dict) and isinstance(article.get("paragraphs"), list)


_LOADERS: dict[str, Callable[[Path, bytes], Loaded]] = {
    ".txt": _load_txt,
    ".md": _load_md,
    ".markdown": _load_md,
    ".html": _load_html,
    ".htm": _load_html,
    ".pdf": _load_pdf,
    ".jsonl": _load_jsonl,
    ".json": _load_json,
}

SUFFIXES = tuple(_LOADERS)  # the file types wenda reads
