"""An interrupted dense build may continue only with the very encoder it started with."""

from __future__ import annotations

import os

import pytest

torch = pytest.importorskip("torch")

import wenda.encode  # noqa: E402
import wenda.index  # noqa: E402,F401  (registers the retrievers)
from wenda import registry  # noqa: E402
from wenda.nn.modeldir import save_model  # noqa: E402
from wenda.text.vocab import Vocab  # noqa: E402


def test_a_partial_dense_build_matches_only_its_own_encoder(tmp_path):
    cnn = registry.get("encode", "cnn")
    save_model(
        cnn(cnn.Config(), Vocab.build([["river", "fish"]])),
        "encode",
        wenda.encode.TOKENIZER,
        tmp_path / "enc",
    )
    dense, binary = registry.get("retriever", "dense"), registry.get("retriever", "binary")
    params = {"encoder": str(tmp_path / "enc")}
    dense.create(tmp_path / "idx", **params).close()
    assert dense.matches(tmp_path / "idx", params)
    assert not binary.matches(tmp_path / "idx", params)  # another type
    assert not dense.matches(tmp_path / "idx", {"encoder": str(tmp_path / "nowhere")})
    weights = tmp_path / "enc" / "model.safetensors"
    stat = weights.stat()
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # retrained in place
    assert not dense.matches(tmp_path / "idx", params)
    (tmp_path / "idx" / "params.json").write_text("{broken")
    assert not dense.matches(tmp_path / "idx", params)
