from __future__ import annotations

from wenda.text import Tokenizer, TokenizerConfig, parallel


def test_parallel_tokenization_equals_serial_and_reuses_workers(monkeypatch):
    monkeypatch.setattr(parallel, "_MIN_PARALLEL", 10)
    texts = [f"The {i} running cities of 北京大学 number {i * 7}" for i in range(200)]
    tok = Tokenizer(TokenizerConfig(stemmer="english"))
    serial = [tok.tokens(t) for t in texts]
    assert parallel.tokenize_batch(tok, texts, workers=2) == serial
    pools = dict(parallel._POOLS)
    assert parallel.tokenize_batch(tok, texts[::-1], workers=2) == serial[::-1]
    assert pools == parallel._POOLS  # the same worker processes served both calls
    parallel.shutdown()
    assert parallel._POOLS == {}
