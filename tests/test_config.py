"""Settings: defaults, a TOML file, WENDA_* environment variables on top."""

from __future__ import annotations

from pathlib import Path

import pytest

from wenda.config import ConfigError, settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    for key in ("WENDA_DATA", "WENDA_DATA_DIR", "WENDA_MAX_FILE_MB", "WENDA_PASSAGE_WORDS", "WENDA_CONFIG"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults():
    s = settings()
    assert s.data_dir == Path("../shared/data") and s.max_file_mb == 50 and s.passage_words == 100


def test_toml_file_then_environment_on_top(tmp_path, monkeypatch):
    (tmp_path / "wenda.toml").write_text('data_dir = "/data/x"\nmax_file_mb = 5\npassage_words = 80\n')
    s = settings()
    assert s.data_dir == Path("/data/x") and s.max_file_mb == 5 and s.passage_words == 80
    monkeypatch.setenv("WENDA_MAX_FILE_MB", "7")
    monkeypatch.setenv("WENDA_DATA", "/data/y")
    s = settings()
    assert s.max_file_mb == 7 and s.data_dir == Path("/data/y") and s.passage_words == 80


def test_config_path_from_environment(tmp_path, monkeypatch):
    (tmp_path / "other.toml").write_text("passage_overlap = 10\n")
    monkeypatch.setenv("WENDA_CONFIG", str(tmp_path / "other.toml"))
    assert settings().passage_overlap == 10


@pytest.mark.parametrize(
    ("key", "value"), [("max_file_mb", "0"), ("passage_words", "5"), ("passage_overlap", "100")]
)
def test_bad_values_are_refused(monkeypatch, key, value):
    monkeypatch.setenv(f"WENDA_{key.upper()}", value)
    with pytest.raises(ConfigError, match=key if key != "passage_overlap" else "smaller"):
        settings()
