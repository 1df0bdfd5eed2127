"""Small corpora and untrained encoders for the index tests (Qdrant's and hybrid search's)."""

from __future__ import annotations

from pathlib import Path

TOPICS = ["river", "mountain", "city", "engine", "planet", "tea", "harbour", "violin"]
QUERIES = ["river engine", "tea and the planet", "a violin in the city", "harbour", "mountain tea river"]


def random_encoder(root: Path, bits: int) -> Path:
    """A CNN encoder with seeded random weights over :data:`TOPICS`, saved under ``root``."""
    import torch

    import wenda.encode
    from wenda import registry
    from wenda.nn.modeldir import save_model
    from wenda.text.vocab import Vocab

    torch.manual_seed(bits)
    cnn = registry.get("encode", "cnn")
    model = cnn(cnn.Config(bits=bits), Vocab.build([t.split() for t in TOPICS]))
    save_model(model, "encode", wenda.encode.TOKENIZER, root / f"enc{bits}")
    return root / f"enc{bits}"


def write_docs(folder: Path, n: int, start: int = 0) -> None:
    """``n`` short notes mixing three of :data:`TOPICS` each, files ``d<start>.txt`` on."""
    folder.mkdir(exist_ok=True)
    for i in range(start, start + n):
        a, b, c = TOPICS[i % 8], TOPICS[(i * 3 + 1) % 8], TOPICS[(i * 5 + 2) % 8]
        (folder / f"d{i}.txt").write_text(f"Note {i}: the {a} near the {b}, and a {c}. " * (1 + i % 3))
