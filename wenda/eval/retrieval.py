"""Open-domain retrieval evaluation: answer recall at k and MRR (DrQA's protocol).

DrQA (Chen et al. 2017, Table 3) judges a retriever by whether any of its top-k passages contains a
gold answer string (after SQuAD normalization); there are no passage-level relevance judgments. We
report that recall at k = 1, 5, 20, 100 and MRR (reciprocal rank of the first answer-bearing passage,
trec_eval's recip_rank with those passages judged relevant), averaged over all questions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import numpy as np

from wenda.collection import Collection
from wenda.data.squad import Question
from wenda.data.squad_open import build_squad_open
from wenda.errors import IndexError_
from wenda.eval.metrics import reciprocal_rank
from wenda.eval.squad import has_answer
from wenda.fileio import atomic_write_bytes
from wenda.scale.raymap import RayTarget, chunked, run_chunks, shared_path

KS = (1, 5, 20, 100)
_PER_CHUNK = 64  # questions handed to a Ray actor at a time


def write_jsonl_corpus(docs, path: Path) -> Path:
    """Write documents as one JSONL file (id = source) so the normal ingestion indexes them."""
    import json

    lines = (json.dumps({"id": d.source, "title": d.title, "text": d.text}, ensure_ascii=False) for d in docs)
    atomic_write_bytes(path, ("\n".join(lines) + "\n").encode())
    return path


def _builders() -> dict[str, Callable]:
    from wenda.data.held_out_open import build_held_out_open
    from wenda.data.nq_open import build_nq_open
    from wenda.data.open_qa import build_curated_trec, build_webquestions

    return {
        "squad-open": build_squad_open,
        "nq-open": build_nq_open,
        "curated-trec": build_curated_trec,
        "webquestions": build_webquestions,
        "held-out-open": build_held_out_open,
    }


# held-out-open is a dev set (training-side questions: ``wenda.data.held_out_open``), the rest tests.
BENCHMARKS = ("squad-open", "nq-open", "curated-trec", "webquestions", "held-out-open")
# The document set each benchmark searches (its corpus file's name): nq-open, curated-trec and
# webquestions share the Wikipedia summaries, so one index serves them all.
CORPUS = {
    "squad-open": "squad-open",
    "nq-open": "nq-open",
    "curated-trec": "nq-open",
    "webquestions": "nq-open",
    "held-out-open": "held-out-open",
}


def open_benchmark(
    dataset: str,
    index: Path,
    data_dir: Path | None = None,
    retrievers: Sequence[str] | None = None,
    params: dict[str, dict] | None = None,
    ray: RayTarget | None = None,
):
    """Build (or reuse, incrementally) the index of ``dataset`` (one of :data:`BENCHMARKS`) with
    ``retrievers`` (and their creation ``params``), on Ray with ``ray``; returns (collection,
    questions)."""
    if dataset not in BENCHMARKS:
        raise ValueError(f"unknown dataset {dataset!r}; choose from {', '.join(BENCHMARKS)}")
    docs, questions = _builders()[dataset](data_dir)
    corpus = Path(index) / "corpus" / f"{CORPUS[dataset]}.jsonl"
    if not corpus.exists():
        write_jsonl_corpus(docs, corpus)
    col = Collection.open_or_create(index, retrievers, params=params)
    _check_not_moved(col, corpus)
    if ray is not None:
        col.use_ray(ray.address, ray.workers)
    col.add([corpus])
    return col, questions


def _check_not_moved(col: Collection, corpus: Path) -> None:
    """Refuse an index that holds this benchmark's corpus file at another path: the index folder was
    copied or moved, and adding the corpus from its new path would index every passage twice."""
    here = str(corpus.resolve())
    elsewhere = [f for f in col.store.files() if Path(f).name == corpus.name and f != here]
    if elsewhere:
        col.close()
        raise IndexError_(
            f"{col.path} was built at another path (it holds {elsewhere[0]}); benchmark indexes "
            "cannot be copied or moved: use it where it was built, or build a fresh one"
        )


def squad_open(index: Path, data_dir: Path | None = None, retrievers: Sequence[str] | None = None):
    """Build (or reuse, incrementally) the squad-open index; returns (collection, questions)."""
    return open_benchmark("squad-open", index, data_dir, retrievers)


class _Ranks:
    """Searches questions and finds the rank of the first answer-bearing passage: the unit of work
    :func:`answer_recall` hands out (to a Ray actor, which opens the index itself)."""

    def __init__(self, col: Collection, retriever: str, depth: int) -> None:
        self.col, self.retriever, self.depth = col, retriever, depth

    @classmethod
    def opened(cls, index: str, cfg, retriever: str, depth: int) -> _Ranks:
        return cls(Collection.open(Path(index), cfg), retriever, depth)

    def rank(self, questions: Sequence[Question]) -> list[tuple[int | None, float, float]]:
        """(rank of the first passage holding an answer or None, reciprocal rank, seconds) each."""
        out = []
        for q in questions:
            t0 = time.perf_counter()
            hits = self.col.search(q.question, k=self.depth, retriever=self.retriever)
            seconds = time.perf_counter() - t0
            ranking = [str(h.passage_id) for h in hits]
            relevant = {str(h.passage_id): 1 for h in hits if has_answer(h.text, q.answers)}
            first = next((r for r, pid in enumerate(ranking, 1) if pid in relevant), None)
            out.append((first, reciprocal_rank(ranking, relevant), seconds))
        return out


def answer_recall(
    col: Collection,
    questions: Sequence[Question],
    retriever: str,
    ks: Sequence[int] = KS,
    progress: Callable[[int], None] | None = None,
    ray: RayTarget | None = None,
) -> dict[str, float]:
    """Answer recall@k and MRR of ``retriever`` over ``questions``, plus query latency (ms: mean,
    median, 95th percentile; the first query of a learned retriever also loads its encoder). With
    ``ray``, the questions are searched on Ray actors, each opening ``col``'s directory itself."""
    depth, step = max(ks), (1 if ray is None else _PER_CHUNK)
    if ray is None:
        factory = partial(_Ranks, col, retriever, depth)
    else:
        factory = partial(_Ranks.opened, shared_path(col.path), col.settings, retriever, depth)
    ranks = []
    for part in run_chunks(factory, "rank", chunked(questions, step), ray):
        ranks += part
        if progress:
            progress(len(ranks))
    n = max(len(questions), 1)
    out = {f"recall@{k}": 100.0 * sum(f is not None and f <= k for f, _, _ in ranks) / n for k in ks}
    ms = 1000 * np.array([s for _, _, s in ranks] or [0.0])
    out.update(
        mrr=sum(rr for _, rr, _ in ranks) / n,
        questions=len(questions),
        ms_per_query=float(ms.mean()),
        ms_p50=float(np.percentile(ms, 50)),
        ms_p95=float(np.percentile(ms, 95)),
    )
    return out
