"""``freeze_pretrained``: rows with pretrained vectors stay fixed while the others learn, and the
choice survives saving."""

from __future__ import annotations

import pytest

from tests.read.padding import WORDS

torch = pytest.importorskip("torch")

from wenda import registry  # noqa: E402
from wenda.nn.modeldir import load_model, save_model  # noqa: E402
from wenda.read.base import TOKENIZER, span_loss  # noqa: E402
from wenda.text.vocab import Vocab  # noqa: E402


def test_only_rows_without_pretrained_vectors_learn(tmp_path):
    cls = registry.get("read", "drqa")
    torch.manual_seed(0)
    vocab = Vocab.build([WORDS], oov_buckets=4)
    model = cls(cls.Config(freeze_pretrained=True), vocab)
    pretrained = torch.zeros(len(vocab), dtype=torch.bool)
    pretrained[vocab.id(WORDS[0])] = True  # WORDS[0] "has a GloVe vector"; WORDS[1] has none
    model.set_embeddings(torch.randn(len(vocab), 50), pretrained)
    before = model.embedding.weight.detach().clone()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
    output, mask = model.logits([[WORDS[0], WORDS[1]]], [[WORDS[1], WORDS[0], WORDS[2]]])
    span_loss(output, mask, torch.tensor([0]), torch.tensor([1]), torch.tensor([True])).backward()
    optimizer.step()
    after = model.embedding.weight.detach()
    assert torch.equal(after[vocab.id(WORDS[0])], before[vocab.id(WORDS[0])])
    assert not torch.equal(after[vocab.id(WORDS[1])], before[vocab.id(WORDS[1])])
    save_model(model, "read", TOKENIZER, tmp_path / "m")
    loaded, _ = load_model(tmp_path / "m", "read")
    assert torch.equal(loaded.pretrained_rows, pretrained)
