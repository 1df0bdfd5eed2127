"""Training dual encoders: the self-supervised pairs, the held-out ranking metric, and a tiny run
end to end (saved model loads and finds a passage from one of its sentences)."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from wenda.data.reading import SpanExample  # noqa: E402
from wenda.nn.modeldir import load_model  # noqa: E402
from wenda.text import Tokenizer  # noqa: E402
from wenda.train.pairs import crop_pairs, ict_pairs, passage_sentences, question_pairs  # noqa: E402
from wenda.train.retrieval import pair_metrics, ranks_of_diagonal, train_retriever  # noqa: E402

TOPICS = ["paris", "cats", "hamlet", "everest", "tea", "rivers", "volcanoes", "bread"]


def _passages(n: int = 40) -> list[str]:
    """Passages of three sentences, each about one topic (its word appears in every sentence)."""
    return [
        f"The {t} story {i} begins here. Many {t} facts follow. Nobody forgets {t} number {i}."
        for i in range(n)
        for t in [TOPICS[i % len(TOPICS)]]
    ]


def test_passage_sentences_splits_and_tokenizes():
    assert passage_sentences("One two. Three!  \n\n Four", Tokenizer()) == [
        ["one", "two"],
        ["three"],
        ["four"],
    ]


def test_question_pairs_pair_the_question_with_the_window_holding_the_answer():
    """A long context (COVID-QA's are articles of thousands of words) gives the 100-word window
    with the answer, not its first words; unanswerable examples give no pair."""
    filler = " ".join(f"Sentence {i} says nothing at all here." for i in range(60))  # 360 words
    context = f"{filler} The capital of France is Paris. {filler}"
    start = context.index("Paris")
    long = SpanExample("1", "What is the capital of France?", context, (("Paris", start),), "t")
    short = SpanExample("2", "Where?", "In Rome.", (("Rome", 3),), "t")
    none = SpanExample("3", "Why?", "No reason given.", (), "t")
    tok = Tokenizer()
    (q, p), (q2, p2) = question_pairs([long, none, short], tok)
    assert q == tok.tokens(long.question)
    assert set(tok.tokens("Paris France")) <= set(p) and len(p) < len(tok.tokens(context)) / 5
    assert (q2, p2) == (tok.tokens("Where?"), tok.tokens("In Rome."))


def test_hard_negatives_are_bm25_windows_without_the_answer():
    """Each question's negative is the window BM25 ranks best among those that hold none of its
    answers: the same-topic window of another context, never its own positive or another window
    that holds its answer."""
    contexts = [
        "The Eiffel tower stands in Paris. It was built in 1889 for the fair.",
        "The Eiffel tower is painted every seven years. Its paint is brown.",
        "Tea grows on hills in Darjeeling. Pickers take the top leaves.",
        "Tea was first drunk in China. Later it reached India.",
    ]
    questions = [
        ("When was the Eiffel tower built?", 0, "1889"),
        ("Where does tea grow on hills?", 2, "Darjeeling"),
        ("How often is the Eiffel tower painted?", 1, "every seven years"),
        ("Where was tea first drunk?", 3, "China"),
    ]
    examples = [
        SpanExample(str(i), q, contexts[c], ((a, contexts[c].index(a)),), "t")
        for i, (q, c, a) in enumerate(questions)
    ]
    tok = Tokenizer()
    pairs = question_pairs(examples, tok, negatives=1)
    assert [len(pair) for pair in pairs] == [3, 3, 3, 3]
    for (_, pos, neg), other in zip(pairs, [1, 3, 0, 2], strict=True):
        assert neg == tok.tokens(contexts[other]) and neg != pos
    assert [len(pair) for pair in question_pairs(examples, tok)] == [2, 2, 2, 2]  # none by default


def test_task_loss_scores_queries_against_positives_then_negatives():
    """A batch of triples reaches the encoder's loss as B queries against B positives followed by
    the B hard negatives (the diagonal of the [B, 2B] scores is correct)."""
    from wenda.train.retrieval import RetrievalTask
    from wenda.train.trainer import TrainConfig

    seen = {}

    class Recorder:
        def loss(self, queries, passages):
            seen["q"], seen["p"] = queries, passages
            return torch.tensor(0.0)

    batch = [(["q1"], ["p1"], ["n1"]), (["q2"], ["p2"], ["n2"])]
    RetrievalTask(lambda rng: batch, batch, TrainConfig()).loss(Recorder(), batch)
    assert seen == {"q": [["q1"], ["q2"]], "p": [["p1"], ["p2"], ["n1"], ["n2"]]}


def test_ict_query_is_a_sentence_and_leaves_the_context_mostly():
    corpus = [[["a", "b"], ["c"], ["d", "e"]]] * 200 + [[["alone"]]]
    pairs = ict_pairs(corpus, np.random.default_rng(0))
    assert len(pairs) == 200  # a one-sentence passage makes no pair
    kept = 0
    for query, context in pairs:
        assert query in corpus[0]
        rest = [t for s in corpus[0] if s != query for t in s]
        assert context in (rest, [t for s in corpus[0] for t in s])
        kept += len(context) == 5
    assert 5 <= kept <= 40  # the sentence stays in about 10% of positives


def test_crops_are_spans_of_10_to_50_percent():
    tokens = [str(i) for i in range(100)]
    for a, b in crop_pairs([[tokens]] * 50, np.random.default_rng(1)):
        for crop in (a, b):
            assert 10 <= len(crop) <= 50
            start = int(crop[0])
            assert crop == tokens[start : start + len(crop)]
    assert crop_pairs([[["x", "y", "z"]]], np.random.default_rng(0)) == []  # under 4 tokens


def test_ranks_and_metrics_worked_example():
    """Row 0: own score 0.9 is the best -> rank 1. Row 1: 0.2 < 0.5 and ties 0.2 -> rank 3
    (ties count against it). Row 2: own 0.1, one better -> rank 2. MRR = (1 + 1/3 + 1/2) / 3."""
    scores = np.array([[0.9, 0.1, 0.3], [0.5, 0.2, 0.2], [0.0, 0.4, 0.1]])
    ranks = ranks_of_diagonal(scores)
    assert ranks.tolist() == [1, 3, 2]
    m = pair_metrics(ranks)
    assert m["mrr"] == pytest.approx((1 + 1 / 3 + 1 / 2) / 3)
    assert m["recall@1"] == pytest.approx(1 / 3) and m["recall@5"] == 1.0


@pytest.mark.slow
@pytest.mark.parametrize("bits", [0, 32])
def test_self_supervised_training_end_to_end(tmp_path, bits):
    settings = {"epochs": 3, "embeddings": "random", "batch_size": 8, "threads": 1, "lr": 0.01, "bits": bits}
    report = train_retriever("cnn", tmp_path / "enc", settings, _passages(), "ict", progress=False)
    assert report["epoch"] == 3 and report["held_out"] == 2
    saved = json.loads((tmp_path / "enc" / "training.json").read_text())
    assert saved["self_supervised"] == "ict" and len(saved["history"]) == 3
    model, _ = load_model(tmp_path / "enc", "encode")
    assert model.config.bits == bits and model.registered_name == "cnn"


def test_nothing_to_train_on_is_refused(tmp_path):
    with pytest.raises(ValueError, match="nothing to train on"):
        train_retriever("cnn", tmp_path / "x", {}, passages=None, supervised=False)


def test_init_puts_a_hash_layer_on_a_trained_encoder(tmp_path):
    from wenda.train.retrieval import _initial

    settings = {"epochs": 1, "embeddings": "random", "batch_size": 8, "threads": 1}
    train_retriever("cnn", tmp_path / "float", settings, _passages(), "ict", progress=False)
    saved, _ = load_model(tmp_path / "float", "encode")
    hashed = _initial(tmp_path / "float", "cnn", {"bits": 32, "hash_gamma": 0.001})
    assert hashed.hash is not None and hashed.config.bits == 32 and hashed.config.hash_gamma == 0.001
    assert saved.hash is None and hashed.vocab.words == saved.vocab.words
    for name, weight in saved.state_dict().items():  # the encoder's weights, unchanged
        assert torch.equal(hashed.state_dict()[name], weight), name
    assert _initial(tmp_path / "float", "cnn", {}).state_dict().keys() == saved.state_dict().keys()
    with pytest.raises(ValueError, match="only bits, hash_gamma, hash_margin may change"):
        _initial(tmp_path / "float", "cnn", {"dim": 64})
    with pytest.raises(ValueError, match="holds a cnn encoder, not dssm"):
        _initial(tmp_path / "float", "dssm", {})
    report = train_retriever(
        "cnn", tmp_path / "hashed", {**settings, "bits": 32}, _passages(), "ict", progress=False,
        init=tmp_path / "float",
    )  # fmt: skip
    assert report["init"] == str(tmp_path / "float")
    assert load_model(tmp_path / "hashed", "encode")[0].config.bits == 32
