"""Tiny SQuAD and summaries files, and settings isolated from the machine's environment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

TINY_SQUAD = {
    "version": "1.1",
    "data": [
        {
            "title": "Super_Bowl_50",
            "paragraphs": [
                {
                    "context": "Super Bowl 50 was won by the Denver Broncos.",
                    "qas": [
                        {
                            "id": "q1",
                            "question": "Who won Super Bowl 50?",
                            "answers": [{"text": "Denver Broncos", "answer_start": 25}] * 2,
                        }
                    ],
                },
                {"context": "It was played in Santa Clara.", "qas": []},
            ],
        },
        {
            "title": "Oxygen",
            "paragraphs": [
                {
                    "context": "Oxygen has the symbol O.",
                    "qas": [
                        {
                            "id": "q2",
                            "question": "Symbol of oxygen?",
                            "answers": [{"text": "O", "answer_start": 22}],
                        },
                        {"id": "q3", "question": "Unanswerable?", "answers": [], "is_impossible": True},
                    ],
                }
            ],
        },
    ],
}

TINY_SUMMARIES = {
    "Oxygen": {
        "title": "Oxygen",
        "extract": "Oxygen is a chemical element.",
        "description": "",
        "topic": "X",
    },
    "AC/DC": {"title": "AC/DC", "extract": "AC/DC are a rock band.", "description": "", "topic": "Y"},
    "Empty": {"title": "Empty", "extract": "", "description": "", "topic": "Z"},
}


@pytest.fixture(autouse=True)
def isolated_settings(monkeypatch, tmp_path):
    """No wenda.toml or WENDA_* variable of the machine leaks into these tests."""
    for var in ("WENDA_DATA", "WENDA_DATA_DIR", "WENDA_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("WENDA_CONFIG", str(tmp_path / "absent.toml"))


@pytest.fixture
def tiny_data(tmp_path) -> Path:
    """A data directory laid out like ../shared/data with the tiny files."""
    root = tmp_path / "data"
    (root / "squad-dev").mkdir(parents=True)
    (root / "wiki-vital-summaries").mkdir()
    (root / "squad-dev" / "squad-v1.1-dev.json").write_text(json.dumps(TINY_SQUAD), encoding="utf-8")
    (root / "wiki-vital-summaries" / "summaries_en-us.json").write_text(
        json.dumps(TINY_SUMMARIES), encoding="utf-8"
    )
    return root
