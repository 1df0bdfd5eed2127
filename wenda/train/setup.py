"""Setting up a model to train, for any stage: routing ``key=value`` settings, building the
vocabulary and loading pretrained word vectors."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import torch

from wenda import registry
from wenda.text.vocab import Vocab
from wenda.train.trainer import TrainConfig


def split_settings(kind: str, model_name: str, settings: dict) -> tuple[dict, TrainConfig]:
    """Route ``key=value`` settings to the model's Config or to :class:`TrainConfig` by name; a
    pretrained model's ``fine_tune_lr`` is the default ``lr``.

    Raises:
        ValueError: an unknown model, or a key that neither knows.
    """
    cls = registry.get(kind, model_name)
    if cls.fine_tune_lr is not None:  # a pretrained network fine-tunes gently (BERT's 2e-5), not at 1e-3
        settings = {"lr": cls.fine_tune_lr, **settings}
    model_fields = set(cls.Config().to_dict())
    train_fields = set(TrainConfig.__dataclass_fields__)
    if unknown := set(settings) - model_fields - train_fields:
        raise ValueError(
            f"unknown settings {sorted(unknown)}; {model_name} has {sorted(model_fields)}, training has {sorted(train_fields)}"
        )
    model = {k: v for k, v in settings.items() if k in model_fields}
    return model, TrainConfig.from_dict({k: v for k, v in settings.items() if k in train_fields})


def build_model(
    kind: str, name: str, texts: Iterable[Sequence[str]], config: TrainConfig, overrides: dict | None = None
):
    """A fresh ``kind/name`` model with a vocabulary of the tokenized training ``texts`` (plus GloVe's
    ``config.glove_words`` most frequent words) and, for ``embeddings="glove"``, GloVe 6B 50d vectors.

    Raises:
        ValueError: unknown model, setting or embeddings choice.
        wenda.text.vectors.VectorsMissing: GloVe asked for but not installed.
    """
    cls = registry.get(kind, name)
    model_config = cls.Config.from_dict({**cls.Config().to_dict(), **(overrides or {})})
    if config.embeddings not in ("glove", "random"):
        raise ValueError(f"embeddings must be 'glove' or 'random', not {config.embeddings!r}")
    glove = config.embeddings == "glove" and cls.uses_embeddings
    extra: Sequence[str] = ()
    if glove:
        from wenda.text.vectors import glove_words

        extra = glove_words()[: config.glove_words]
    vocab = Vocab.build(texts, extra_words=extra)
    torch.manual_seed(config.seed)
    model = cls(model_config, vocab)
    if glove:
        from wenda.text.vectors import embedding_matrix

        matrix, found = embedding_matrix(vocab, model_config.embed_dim, config.seed)
        model.set_embeddings(torch.from_numpy(matrix), torch.from_numpy(found))
    return model


def saved_model(directory: Path, kind: str, name: str, tokenizer, punctuation_may_differ: bool = False):
    """The ``kind/name`` model saved in ``directory`` (``--init``: to train further).
    ``punctuation_may_differ``: accept a model saved with or without punctuation tokens (it will
    train with ``tokenizer``'s, e.g. a reader saved before it read punctuation).

    Raises:
        ValueError: it holds another model, or one that tokenizes otherwise than ``tokenizer``.
    """
    from wenda.nn.modeldir import load_model

    model, saved_tokenizer = load_model(Path(directory), kind)
    what = {"read": "reader", "encode": "encoder"}.get(kind, kind)
    if model.registered_name != name:
        raise ValueError(f"{directory} holds a {model.registered_name} {what}, not {name}")
    same = saved_tokenizer.same_words(tokenizer) if punctuation_may_differ else saved_tokenizer == tokenizer
    if not same:
        raise ValueError(f"{directory}: its {what} tokenizes as {saved_tokenizer}, not as {tokenizer}")
    return model
