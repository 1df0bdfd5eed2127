"""Packed copies of a reader fine-tuned from the pretrained package: int8 weight rows load back
within one quantisation step, tensors taken from the package are left out of the file and come back
from the installed package, and a copy is refused where the installed package builds other values."""

from __future__ import annotations

import importlib.util
import json

import pytest

torch = pytest.importorskip("torch")

import wenda.nn.pretrained as pretrained  # noqa: E402
from wenda.nn.int8 import SCALE, dequantize, quantize  # noqa: E402
from wenda.nn.modeldir import ModelError, load_model, save_model  # noqa: E402
from wenda.nn.shrink import shrink_model  # noqa: E402
from wenda.read.base import TOKENIZER  # noqa: E402
from wenda.text.vocab import Vocab  # noqa: E402

INSTALLED = importlib.util.find_spec(pretrained.MODULE) and importlib.util.find_spec("transformers")
TABLE = "bert.embeddings.word_embeddings.weight"
LAYER = "bert.encoder.layer.0.attention.self.query.weight"


def test_int8_rows_round_trip_within_half_a_step():
    torch.manual_seed(0)
    w = torch.randn(64, 128) * torch.linspace(0.01, 3, 64)[:, None]  # rows of very different scales
    small, vector = torch.randn(2, 8), torch.randn(300)
    packed = quantize({"w": w, "head": small, "bias": vector, "ids": torch.arange(5000).reshape(50, 100)})
    assert packed["w"].dtype == torch.int8 and packed["w" + SCALE].shape == (64, 1)
    assert packed["head"] is small and packed["bias"] is vector  # too small or not a matrix
    assert packed["ids"].dtype == torch.int64  # integers are never quantised
    back = dequantize(packed)
    assert set(back) == {"w", "head", "bias", "ids"}
    assert ((back["w"] - w).abs() <= packed["w" + SCALE] / 2 + 1e-7).all()
    with pytest.raises(ValueError, match="without their matrix"):
        dequantize({"w" + SCALE: torch.ones(3, 1)})


@pytest.fixture(scope="module")
def reader_dir(tmp_path_factory):
    """A MiniLM reader whose word-piece table and first query matrix moved off the package's."""
    if not INSTALLED:
        pytest.skip("pip install 'wenda[minilm]'")
    from wenda.read.minilm import MiniLMReader

    torch.manual_seed(0)
    model = MiniLMReader(MiniLMReader.Config(), Vocab.build([["paris", "france"]])).eval()
    with torch.no_grad():
        for name in (TABLE, LAYER):
            tensor = model.state_dict()[name]
            tensor.add_(0.01 * torch.randn_like(tensor))
    directory = tmp_path_factory.mktemp("minilm") / "full"
    save_model(model, "read", TOKENIZER, directory)
    return directory


def test_packed_copy_takes_the_table_from_the_package(reader_dir, tmp_path):
    trained, _ = load_model(reader_dir, "read")
    info = shrink_model(
        reader_dir, tmp_path / "packed", "read", keep_words=10, int8=True, from_package=[TABLE]
    )
    assert info["bytes"] < 0.3 * (reader_dir / "model.safetensors").stat().st_size
    meta = json.loads((tmp_path / "packed" / "config.json").read_text())
    assert {k: meta["from_package"][k] for k in ("package", "version", "tensors")} == {
        **pretrained.package_source(),
        "tensors": [TABLE],
    }
    packed, _ = load_model(tmp_path / "packed", "read")
    fresh = type(trained)(trained.config, trained.vocab).state_dict()  # the package's own values
    assert torch.equal(packed.state_dict()[TABLE], fresh[TABLE])
    assert not torch.equal(trained.state_dict()[TABLE], fresh[TABLE])
    step = trained.state_dict()[LAYER].abs().amax(dim=1, keepdim=True) / 127
    assert ((packed.state_dict()[LAYER] - trained.state_dict()[LAYER]).abs() <= step / 2 + 1e-6).all()
    question, passage = ["where", "is", "paris"], ["paris", "is", "in", "france"] * 5
    with torch.no_grad():
        a, b = trained.logits([question], [passage])[0], packed.logits([question], [passage])[0]
    assert torch.allclose(a.start, b.start, atol=0.5) and a.start.argmax() == b.start.argmax()


def test_packed_copy_refuses_other_package_weights(reader_dir, tmp_path, monkeypatch):
    from wenda.read.minilm import MiniLMReader

    shrink_model(reader_dir, tmp_path / "packed", "read", keep_words=10, from_package=[TABLE])
    load_model(tmp_path / "packed", "read")  # the package it was made against: fine
    built = MiniLMReader.__init__

    def other_release(self, *args, **kwargs):  # a package version whose table differs
        built(self, *args, **kwargs)
        with torch.no_grad():
            self.bert.embeddings.word_embeddings.weight[5].add_(1.0)

    monkeypatch.setattr(MiniLMReader, "__init__", other_release)
    with pytest.raises(ModelError, match="whose weights differ from those installed"):
        load_model(tmp_path / "packed", "read")


def test_only_package_tensors_can_be_left_out(reader_dir, tmp_path):
    with pytest.raises(ValueError, match="span.weight"):
        shrink_model(reader_dir, tmp_path / "packed", "read", keep_words=10, from_package=["span.weight"])
