"""Benchmark corpora for ``bench/retrieval_speed.py``: real squad-open passages, and ~1M made from them.

Base corpus ("12k"): the squad-open documents (2,067 SQuAD v1.1 dev paragraphs + 10,033 Wikipedia
summaries, :func:`wenda.data.squad_open.build_squad_open`) cut into passages exactly as ``wenda index``
does (:func:`wenda.corpus.split.split_passages`, 100 words, 20 overlap): 16,074 passages from 12,100
documents.

Large corpora ("1m" = 1,000,000 passages) are generated deterministically from the base passages.
Passage ``i`` copies base passage ``i % n``; the first ``n`` are the originals, unchanged (so every
SQuAD question still has its gold passage), and every later copy is perturbed with one
``random.Random(seed)`` stream consumed in order:

1. its sentences are shuffled (split after ``.!?`` followed by a space);
2. ~15% of its words (at least one) are replaced by words drawn from the base corpus' unigram
   distribution (a uniform draw from the list of all its whitespace-separated words);
3. 0-3 further words are dropped (passages of more than 10 words only).

So no two copies are identical, the vocabulary and term frequencies stay those of real text, and
the rare-word tail grows a little (as real collections' does), but document frequencies of the base
vocabulary scale with the copy count, unlike in a real 1M-passage Wikipedia; passage lengths stay
the base ones (~66 words, ~44 terms). Copies never grow, so ``wenda index`` keeps each one a passage.

Layout under the work directory (reused when ``corpus-<size>.json``, written last, matches)::

    corpus-<size>.json               manifest: size, seed, passage count
    corpus-<size>/part-NNNNN.jsonl   {"id", "title", "text"} per passage, 20,000 lines per file
                                     (wenda skips files over 50 MB by default, and real corpora
                                     come as many files)
    corpus-12k-docs/documents.jsonl  the 12,100 documents, what ``wenda index`` reads at 12k
    queries.json                     all SQuAD v1.1 dev questions, in file order
"""

from __future__ import annotations

import json
import random
import re
import shutil
import sys
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

# Run as a script from the repository (wenda is not installed as a package there).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wenda.corpus.split import split_passages  # noqa: E402
from wenda.data.squad_open import build_squad_open  # noqa: E402
from wenda.eval.retrieval import write_jsonl_corpus  # noqa: E402

SHARD = 20_000
SEED = 13
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def parse_size(size: str) -> int | None:
    """Passages for a size name: ``None`` for the base corpus ("12k"), else ``100k``/``1m``/``250000``."""
    size = size.lower()
    if size in ("12k", "base"):
        return None
    scale = {"k": 1_000, "m": 1_000_000}.get(size[-1], 1)
    return int(float(size.rstrip("km")) * scale)


def base_passages(data_dir: Path | None = None) -> tuple[list[dict], list, list[str]]:
    """``(passages, documents, questions)``: passages as ``{"id", "title", "text"}`` records."""
    docs, questions = build_squad_open(data_dir)
    passages = [
        {"id": f"{d.source}#{k}", "title": d.title, "text": d.text[s:e]}
        for d in docs
        for k, (s, e) in enumerate(split_passages(d.text, 100, 20))
    ]
    return passages, docs, [q.question for q in questions]


def perturb(text: str, rng: random.Random, pool: list[str]) -> str:
    """A variant of ``text``: sentences shuffled, ~15% of words replaced, 0-3 words dropped."""
    sentences = _SENTENCE_END.split(text)
    rng.shuffle(sentences)
    words = " ".join(sentences).split()
    for pos in rng.sample(range(len(words)), max(1, round(0.15 * len(words)))):
        words[pos] = rng.choice(pool)
    if len(words) > 10:
        for _ in range(rng.randint(0, 3)):
            del words[rng.randrange(len(words))]
    return " ".join(words)


def generate(base: list[dict], total: int, seed: int = SEED) -> Iterator[dict]:
    """``total`` passages: the base ones, then perturbed copies (see the module docstring)."""
    rng = random.Random(seed)
    pool = [w for p in base for w in p["text"].split()]
    for i in range(total):
        src = base[i % len(base)]
        text = src["text"] if i < len(base) else perturb(src["text"], rng, pool)
        yield {"id": str(i), "title": src["title"], "text": text}


def _write_shards(records: Iterator[dict], folder: Path) -> int:
    """Write ``records`` as ``part-NNNNN.jsonl`` files of :data:`SHARD` lines; returns the count."""
    n = 0
    while shard := list(islice(records, SHARD)):
        with open(folder / f"part-{n // SHARD:05d}.jsonl", "w", encoding="utf-8") as out:
            out.writelines(json.dumps(rec, ensure_ascii=False) + "\n" for rec in shard)
        n += len(shard)
    return n


def prepare(work: Path, size: str, log=print) -> dict:
    """Make (or reuse) the corpus for ``size`` under ``work``; returns its manifest."""
    total = parse_size(size)
    name = "12k" if total is None else size.lower()
    folder = work / f"corpus-{name}"
    manifest = {"size": name, "seed": SEED, "shard": SHARD, "format": 1}
    done = manifest_path(work, size)  # beside the folder: `wenda index` would try to read it
    if done.exists() and {k: v for k, v in json.loads(done.read_text()).items() if k in manifest} == manifest:
        return json.loads(done.read_text())
    log(f"building corpus {name} in {folder}")
    done.unlink(missing_ok=True)
    base, docs, questions = base_passages()
    work.mkdir(parents=True, exist_ok=True)
    (work / "queries.json").write_text(json.dumps(questions, ensure_ascii=False))
    write_jsonl_corpus(docs, work / "corpus-12k-docs" / "documents.jsonl")
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    records = iter(base) if total is None else generate(base, total)
    manifest.update(passages=_write_shards(records, tmp), base_passages=len(base), documents=len(docs))
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    done.write_text(json.dumps(manifest))
    return manifest


def manifest_path(work: Path, size: str) -> Path:
    """Where the corpus for ``size`` records how it was made."""
    return work / f"corpus-{'12k' if parse_size(size) is None else size.lower()}.json"


def cli_input(work: Path, size: str) -> Path:
    """What ``wenda index`` is given: the documents at 12k (it splits them), else the passage files."""
    return work / ("corpus-12k-docs" if parse_size(size) is None else f"corpus-{size.lower()}")


def read_passages(work: Path, size: str) -> list[str]:
    """The passage texts of a prepared corpus, in id order."""
    name = "12k" if parse_size(size) is None else size.lower()
    texts = []
    for part in sorted((work / f"corpus-{name}").glob("part-*.jsonl")):
        with open(part, encoding="utf-8") as f:
            texts.extend(json.loads(line)["text"] for line in f)
    return texts


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="12k")
    ap.add_argument("--work", type=Path, default=Path("/tmp/wenda-bench"))
    print(json.dumps(prepare(ap.parse_args().work, ap.parse_args().size)))
