"""Public datasets: where they live, how to load them, and how to fetch them."""

from __future__ import annotations

from wenda.data.download import SOURCES, DownloadError, Source, download
from wenda.data.paths import DatasetMissing, data_dir, require
from wenda.data.squad import SQUAD_V11_DEV, DatasetFormatError, Question, load_squad, squad_questions
from wenda.data.squad_open import build_squad_open
from wenda.data.wiki import WIKI_SUMMARIES, load_wiki_summaries

__all__ = [
    "SOURCES",
    "SQUAD_V11_DEV",
    "WIKI_SUMMARIES",
    "DatasetFormatError",
    "DatasetMissing",
    "DownloadError",
    "Question",
    "Source",
    "build_squad_open",
    "data_dir",
    "download",
    "load_squad",
    "load_wiki_summaries",
    "require",
    "squad_questions",
]
