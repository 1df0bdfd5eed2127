"""Quality parity on real data: our BM25 top-10 on squad-open equals bm25s' (same k1, b, tokens).

bm25s scores in float32, so two passages whose float64 scores differ by less than float32 precision
may swap places; at every rank our passage must be bm25s' or tie with it to 1e-5 (relative).
"""

from __future__ import annotations

import bm25s
import numpy as np
import pytest

from wenda.corpus.split import split_passages
from wenda.data.squad_open import build_squad_open
from wenda.index.base import Op
from wenda.index.bm25 import BM25
from wenda.text import Tokenizer


@pytest.fixture(scope="module")
def squad_open_bm25(tmp_path_factory, data_dir):
    docs, questions = build_squad_open(data_dir)
    texts = [d.text[s:e] for d in docs for s, e in split_passages(d.text, 100, 20)]
    ours = BM25.create(tmp_path_factory.mktemp("bm25") / "i")
    ours.apply([Op(i + 1, i, t) for i, t in enumerate(texts)])
    tok = Tokenizer()
    ref = bm25s.BM25(method="lucene", k1=1.2, b=0.75)
    ref.index([tok.tokens(t) for t in texts], show_progress=False)
    return ours, ref, tok, questions


def _check(ours, ref, tok, questions) -> int:
    compared = 0
    for q in questions:
        terms = tok.tokens(q.question)
        if not terms:
            continue
        scores = ref.get_scores(terms)
        top = np.lexsort((np.arange(len(scores)), -scores))[:10]
        expect = [(int(i), float(scores[i])) for i in top if scores[i] > 0]
        got = ours.search(q.question, 10)
        assert len(got) == len(expect), q.question
        for (pid, score), (rid, rscore) in zip(got, expect, strict=True):
            assert score == pytest.approx(rscore, rel=1e-5), q.question
            assert pid == rid or score == pytest.approx(float(scores[pid]), rel=1e-5), q.question
        compared += 1
    return compared


def test_top10_equals_bm25s_on_2000_squad_open_questions(squad_open_bm25):
    ours, ref, tok, questions = squad_open_bm25
    assert _check(ours, ref, tok, questions[:2000]) >= 1990


@pytest.mark.slow
def test_top10_equals_bm25s_on_all_squad_open_questions(squad_open_bm25):
    ours, ref, tok, questions = squad_open_bm25
    assert _check(ours, ref, tok, questions) >= 10_500
