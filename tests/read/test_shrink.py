"""Size-reduced model copies: the pruned vocabulary keeps the most frequent words, float16 weights
load back as float32, and text made of kept words reads as before (to float16 precision)."""

from __future__ import annotations

import pytest

from tests.read.padding import WORDS

torch = pytest.importorskip("torch")

from wenda import registry  # noqa: E402
from wenda.nn.modeldir import load_model, save_model  # noqa: E402
from wenda.nn.shrink import shrink_model  # noqa: E402
from wenda.read.base import TOKENIZER  # noqa: E402
from wenda.text.vocab import Vocab  # noqa: E402


def test_shrunk_reader_reads_kept_words_as_before(tmp_path):
    cls = registry.get("read", "drqa")
    torch.manual_seed(0)
    vocab = Vocab.build([WORDS[:6], WORDS[:6], WORDS])  # the first six words are the most frequent
    model = cls(cls.Config(no_answer=True), vocab).eval()
    save_model(model, "read", TOKENIZER, tmp_path / "full")
    (tmp_path / "full" / "calibration.json").write_text('{"temperature": 2.0, "no_answer_threshold": 0.5}')
    info = shrink_model(tmp_path / "full", tmp_path / "small", "read", keep_words=6)
    assert (info["words_before"], info["words_after"]) == (len(WORDS), 6)
    small, _ = load_model(tmp_path / "small", "read")
    assert small.vocab.words == vocab.words[:6] and small.embedding.weight.dtype == torch.float32
    assert small.embedding.weight.shape[0] == small.vocab.offset + 6
    assert (tmp_path / "small" / "calibration.json").exists()
    weights = (tmp_path / "small" / "model.safetensors").stat().st_size
    assert weights < 0.6 * (tmp_path / "full" / "model.safetensors").stat().st_size
    question, passage = [WORDS[0], WORDS[1]], WORDS[:6] * 3
    with torch.no_grad():
        a, b = model.logits([question], [passage])[0], small.logits([question], [passage])[0]
    assert torch.allclose(a.start, b.start, atol=0.02) and torch.allclose(a.end, b.end, atol=0.02)
    dropped = WORDS[10]
    assert small.vocab.id(dropped) < small.vocab.offset  # now an OOV bucket
