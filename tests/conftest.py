"""Shared fixtures: tiny corpora made in the test, and the real data directory when present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

DATA = Path(os.environ.get("WENDA_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared real-data directory, or skip with a clear message when it is absent."""
    if not (DATA / "README.md").exists():
        pytest.skip(f"real data not found at {DATA}; set WENDA_DATA to the shared data folder")
    return DATA


@pytest.fixture
def docs_dir(tmp_path: Path) -> Path:
    """A small folder of documents in several formats."""
    root = tmp_path / "docs"
    (root / "sub").mkdir(parents=True)
    (root / "rivers.txt").write_text(
        "Rivers\n\nThe Seine flows through Paris. The Danube flows through Vienna and Budapest.\n"
    )
    (root / "sub" / "tea.md").write_text("# Tea\n\nGreen tea is not oxidised. Black tea is fully oxidised.\n")
    (root / "page.html").write_text(
        "<html><head><title>Babbage</title><script>var x = 'hidden';</script></head>"
        "<body><p>Charles Babbage designed the Analytical Engine.</p></body></html>"
    )
    (root / "planets.jsonl").write_text(
        '{"id": "mars", "title": "Mars", "text": "Mars has two moons, Phobos and Deimos."}\n'
        '{"id": "saturn", "title": "Saturn", "text": "Saturn has bright rings of ice."}\n'
    )
    (root / "yangtze.txt").write_text("长江是中国最长的河流，流经上海后注入东海。", encoding="utf-8")
    return root
