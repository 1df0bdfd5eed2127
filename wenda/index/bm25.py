"""BM25 (Robertson & Zaragoza 2009) on a tantivy index, with exact re-scoring of the head.

tantivy stores each passage's length in one byte (Lucene's lossy "fieldnorm"), so its BM25 scores are
slightly off for passages longer than ~40 terms, and ~2/3 of SQuAD-dev top-10 lists differ from an
exact BM25 (measured against bm25s). Kamphuis et al. (2020, "Which BM25 do you mean?") show such
variants barely change effectiveness, but users comparing to a reference expect the exact formula.
So tantivy (fast, on-disk, incremental) ranks the passages, and we re-score its hits, best first,
with exact lengths and term frequencies (the terms are stored in the index) until no hit left can
enter the exact top k (see ``BM25._rescore``):

    score(q, d) = sum_t idf(t) * tf(t,d) / (tf(t,d) + k1 * (1 - b + b * |d| / avgdl))
    idf(t)      = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))            (Lucene's, never negative)

N, df and avgdl count live passages only (unlike Lucene, whose df includes deleted documents until
their segments merge), so an incrementally updated index scores exactly as a fresh build.

Top-10 lists equal bm25s' ("lucene" method) on the squad-open questions (tests/index).
Queries are built from term objects, never through tantivy's query parser, so no user text can break
its syntax (apostrophes, colons, brackets).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import partial

import tantivy

from wenda.errors import IndexError_
from wenda.index import integrity
from wenda.index.base import Op, Retriever
from wenda.index.rescore import exact_top_k
from wenda.registry import register
from wenda.text.parallel import tokenize_batch

_HEAP = 256_000_000
# Terms are stored joined by two spaces, so that f" {t} " occurrences never overlap and
# str.count gives a term's frequency without splitting the passage (3x faster re-scoring).
_SEP = "  "
# With k1, b other than tantivy's fixed 1.2, 0.75 no bound is derived: a 30% margin (not a bound).
_BAND_OTHER_PARAMS = 0.3
_MAX_DEPTH = 20_000


@contextmanager
def _damage(where: str, what: str) -> Iterator[None]:
    """Turn tantivy's errors about damaged files into an :class:`IndexError_` naming ``where``.

    tantivy reports some damage as a Rust panic, which reaches Python as ``PanicException``, a
    ``BaseException``: caught here too."""
    try:
        yield
    except BaseException as exc:
        if not isinstance(exc, ValueError | OSError) and type(exc).__name__ != "PanicException":
            raise  # interrupts, exits and our own bugs pass through
        raise IndexError_(f"{where}: {what} ({type(exc).__name__}: {exc}); its files are damaged") from None


@register("retriever", "bm25")
class BM25(Retriever):
    """BM25 over tantivy; params ``k1`` (1.2), ``b`` (0.75) and ``min_depth`` (50)."""

    @classmethod
    def default_params(cls) -> dict:
        return {"k1": 1.2, "b": 0.75, "min_depth": 50}

    @staticmethod
    def _schema() -> tantivy.Schema:
        sb = tantivy.SchemaBuilder()
        sb.add_integer_field("pid", stored=False, indexed=True, fast=True)  # i64: delete-by-term needs it
        sb.add_unsigned_field("len", stored=False, indexed=False, fast=True)
        # Every passage holds the term "1" here: its doc_freq counts deleted passages too, so
        # doc_freq("all") > num_docs tells us the index has deletions not yet merged away.
        sb.add_text_field("all", stored=False, tokenizer_name="raw", index_option="basic")
        # Terms are ours (wenda.text), joined by spaces: the whitespace tokenizer only splits them.
        sb.add_text_field("body", stored=True, tokenizer_name="whitespace", index_option="freq")
        return sb.build()

    def _dir(self) -> str:
        return str(self.path / "tantivy")

    def _init_storage(self) -> None:
        (self.path / "tantivy").mkdir(exist_ok=True)
        self._index = tantivy.Index(self._schema(), path=self._dir(), reuse=False)
        self._refresh()

    def _load(self) -> None:
        integrity.verify(self.path)
        self._reopen()

    def _reopen(self) -> None:
        """Open the index afresh. Also after each commit: a tantivy ``Index`` object keeps about
        1.5 KB per commit made through it for as long as it lives, a fresh one per commit keeps
        nothing, and opening one takes under a millisecond (``bench/memory.py --tantivy-only``,
        RELIABILITY.md section 6)."""
        with _damage(self._dir(), "cannot open the BM25 index"):
            self._index = tantivy.Index.open(self._dir())
            self._refresh()

    def _record_digests(self) -> None:
        """Record the segment files' digests (tantivy's own metadata files change per commit)."""
        files = [p for p in (self.path / "tantivy").iterdir() if p.is_file() and not p.name.startswith(".")]
        integrity.record(self.path, [p for p in files if p.name != "meta.json"])

    def _refresh(self) -> None:
        """Read the statistics of the index just opened (its searcher sees the last commit)."""
        self._searcher = self._index.searcher()
        self._n = self._searcher.num_docs
        agg = self._searcher.aggregate(tantivy.Query.all_query(), {"t": {"sum": {"field": "len"}}})
        total = (agg.get("t") or {}).get("value") or 0.0
        self._avgdl = total / self._n if self._n else 1.0
        self._n_all = self._searcher.doc_freq("all", "1")  # tantivy's N: deleted passages too
        self._has_deletes = self._n_all > self._n

    def __len__(self) -> int:
        return self._n

    def apply(self, ops: Sequence[Op]) -> None:
        if not ops:
            return
        adds = [op for op in ops if op.text is not None]
        terms = iter(tokenize_batch(self.tokenizer, [op.text for op in adds]))
        writer = self._index.writer(_HEAP, 1)  # one indexing thread: the same segments on every run
        try:
            for op in ops:
                # Delete first, so that replaying an add after a crash never duplicates it.
                writer.delete_documents_by_term("pid", op.passage_id)
                if op.text is not None:
                    toks = next(terms)
                    doc = tantivy.Document()
                    doc.add_integer("pid", op.passage_id)
                    doc.add_unsigned("len", len(toks))
                    doc.add_text("all", "1")
                    doc.add_text("body", _SEP.join(toks))
                    writer.add_document(doc)
            writer.commit()
            writer.wait_merging_threads()
        except BaseException:
            writer.rollback()
            raise
        del writer
        self._record_digests()
        self._write_seq(ops[-1].seq)
        self._reopen()

    def _df(self, term: str) -> int:
        """Live passages holding ``term``; tantivy's doc_freq also counts deleted, unmerged ones."""
        if not self._has_deletes:
            return self._searcher.doc_freq("body", term)
        query = tantivy.Query.term_query(self._index.schema, "body", term)
        return self._searcher.search(query, limit=1, count=True).count

    def _idf(self, term: str) -> float:
        return _lucene_idf(self._n, self._df(term))

    def _tantivy_idf(self, term: str) -> float:
        """The idf tantivy scores with: N and df count deleted passages not yet merged away."""
        return _lucene_idf(self._n_all, self._searcher.doc_freq("body", term))

    def search(self, query: str, k: int = 10) -> list[tuple[int, float]]:
        qterms = self.tokenizer.tokens(query)
        if not qterms or not self._n or k <= 0:
            return []
        schema = self._index.schema
        clauses = [(tantivy.Occur.Should, tantivy.Query.term_query(schema, "body", t)) for t in qterms]
        weights = Counter(qterms)  # a repeated query term counts once per repetition, as in bm25s
        with _damage(self._dir(), "cannot search the BM25 index"):
            idf = {t: self._idf(t) for t in weights}
            return self._rescore(tantivy.Query.boolean_query(clauses), k, weights, idf)

    def _ceiling(self, idf: dict[str, float]) -> float:
        """A factor f with exact score <= f * tantivy's score, for the stopping rule of _rescore.

        Per query term, exact / tantivy = (idf / idf') * L / (k1 + 1), where tantivy multiplies BM25
        by k1 + 1 = 2.2 and L = (tf + k1 (1 - b + b x')) / (tf + k1 (1 - b + b x)), x = |d| / avgdl
        exact and x' tantivy's. tantivy rounds a length down (one byte, at most 1/8 below), so
        x' / x <= avgdl / avgdl'; its avgdl' also counts deleted passages' terms, and at least
        avgdl' >= (live terms) / N' = avgdl * N / N' (N' counts the deleted passages too). L is at
        most max(1, x' / x) <= N' / N. The sum over terms keeps the largest ratio, so

            S <= S' * max_t(idf(t) / idf'(t)) * (N' / N) / 2.2,

        which is S <= S' / 2.2 without deletions (measured: 0 <= (S'/2.2)/S - 1 <= 0.106 over
        lengths 1-5,000). The 1e-6 covers tantivy's float32 scores. With k1, b other than tantivy's
        the factor is a margin, not a bound.
        """
        if (self.params["k1"], self.params["b"]) != (1.2, 0.75):
            return 1.0 / (2.2 * (1.0 - _BAND_OTHER_PARAMS))
        if not self._has_deletes:
            return (1.0 + 1e-6) / 2.2
        idf_ratio = max(idf[t] / self._tantivy_idf(t) for t in idf)
        return (1.0 + 1e-6) * idf_ratio * (self._n_all / self._n) / 2.2

    def _rescore(self, query: tantivy.Query, k: int, weights: Counter, idf: dict[str, float]) -> list:
        """The exact top k: tantivy's hits re-scored exactly (:mod:`wenda.index.rescore`)."""

        def fetch(depth: int, seen: set):
            hits = self._searcher.search(query, limit=depth, count=False).hits
            fresh = [(s, a) for s, a in hits if (a.segment_ord, a.doc) not in seen]
            addrs = [a for _, a in fresh]
            pids = self._searcher.fast_field_values("pid", addrs)
            lens = self._searcher.fast_field_values("len", addrs)
            return len(hits), [
                (approx, (a.segment_ord, a.doc), partial(self._exact, a, pid, dl, weights, idf))
                for (approx, a), pid, dl in zip(fresh, pids, lens, strict=True)
            ]

        depth = max(2 * k, int(self.params["min_depth"]))
        return exact_top_k(fetch, k, self._ceiling(idf), depth, _MAX_DEPTH)

    def _exact(self, addr, pid: int, dl: int, weights: Counter, idf: dict[str, float]) -> tuple[int, float]:
        return pid, self._score(self._searcher.doc(addr)["body"][0], dl, weights, idf)

    def _score(self, body: str, dl: int, weights: Counter, idf: dict[str, float]) -> float:
        """Exact BM25 of one passage (its stored terms) for the query term weights."""
        k1, b = self.params["k1"], self.params["b"]
        norm = k1 * (1.0 - b + b * dl / self._avgdl)
        padded = f" {body} "
        score = 0.0
        for t, w in weights.items():
            tf = padded.count(f" {t} ")
            if tf:
                score += w * idf[t] * tf / (tf + norm)
        return score


def _lucene_idf(n: int, df: int) -> float:
    """Lucene's (and tantivy's) BM25 idf, never negative."""
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))
