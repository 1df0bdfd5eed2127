"""The data directory setting and the missing-dataset message."""

from __future__ import annotations

from pathlib import Path

import pytest

from wenda.data import DatasetMissing, data_dir, require
from wenda.errors import WendaError


def test_data_dir_defaults_to_shared_data():
    assert data_dir() == Path("../shared/data")


def test_data_dir_follows_wenda_data(monkeypatch, tmp_path):
    monkeypatch.setenv("WENDA_DATA", str(tmp_path))
    assert data_dir() == tmp_path


def test_require_returns_an_existing_file(monkeypatch, tiny_data):
    monkeypatch.setenv("WENDA_DATA", str(tiny_data))
    assert require("squad-dev/squad-v1.1-dev.json") == tiny_data / "squad-dev" / "squad-v1.1-dev.json"


def test_require_explains_a_missing_file(monkeypatch, tmp_path):
    monkeypatch.setenv("WENDA_DATA", str(tmp_path))
    with pytest.raises(DatasetMissing) as info:
        require("squad-dev/squad-v1.1-dev.json")
    message = str(info.value)
    assert str(tmp_path / "squad-dev" / "squad-v1.1-dev.json") in message
    assert "WENDA_DATA" in message
    assert "wenda data download squad-v1.1-dev" in message
    assert isinstance(info.value, WendaError) and isinstance(info.value, FileNotFoundError)


def test_require_names_a_folder_when_no_source_matches(tmp_path):
    with pytest.raises(DatasetMissing, match="wenda data download wikiqa"):
        require("wikiqa/WikiQA-dev.tsv", root=tmp_path)
    with pytest.raises(DatasetMissing, match="wenda data download mine"):
        require("wikiqa/WikiQA-dev.tsv", name="mine", root=tmp_path)
