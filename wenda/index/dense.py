"""Learned first-stage retrieval: passages encoded by a dual encoder (``wenda.encode``) into float
vectors searched by inner product (``dense``, DPR-style), or into BPR binary codes searched by
Hamming distance and re-scored with the continuous query (``binary``, Yamada et al. 2021).

The encoder is copied into the index directory (``encoder/``), so an index answers queries with
exactly the model that encoded its passages, whatever happens to the original model directory
later. Layout::

    retrievers/dense/   params.json  state.json  encoder/  vectors/  (wenda.index.vectors)
    retrievers/binary/  params.json  state.json  encoder/  codes/

Passages are re-encoded only when they change: the document store's change log says which
(``wenda.index.base``); an add replaces a passage's vector, a delete drops it.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from wenda.errors import IndexError_
from wenda.index.base import Op, Retriever
from wenda.registry import register

BATCH = 256  # passages encoded per forward pass


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    """``{relative path: (size, mtime_ns)}`` of a model folder, its training checkpoints left out
    (``copytree`` keeps modification times, so a faithful copy compares equal)."""
    return {
        str(f.relative_to(folder)): (f.stat().st_size, f.stat().st_mtime_ns)
        for f in folder.rglob("*")
        if f.is_file() and "checkpoint" not in f.relative_to(folder).parts
    }


class EncodedRetriever(Retriever):
    """What ``dense`` and ``binary`` share: the copied encoder, encoding ops, the store's life cycle.
    Params: ``encoder`` (the model directory it was created from, kept for the record) and,
    optionally, ``qdrant`` (a Qdrant url: the vectors live there, not in ``.npy`` files)."""

    build_chunk = 4 * BATCH  # encoding is slow (MiniLM: ~50 passages/s), so builds step often

    @classmethod
    def create(cls, path: Path, tokenizer=None, **params) -> Retriever:
        """Create the index at ``path`` with the encoder ``params["encoder"]`` copied into it."""
        from wenda.nn.modeldir import read_meta
        from wenda.text import TokenizerConfig

        if not params.get("encoder"):
            raise IndexError_(f"the {cls.registered_name} retriever needs an encoder: `--encoder DIR`")
        source = Path(params["encoder"])
        meta = read_meta(source, "encode")  # the weights load (and are checked) once, from the copy
        cls._check_encoder(meta["config"])
        path = Path(path)
        if (path / "params.json").exists():
            raise IndexError_(f"{path} already holds an index; open it instead")
        path.mkdir(parents=True, exist_ok=True)
        shutil.copytree(
            source, path / "encoder", dirs_exist_ok=True, ignore=shutil.ignore_patterns("checkpoint")
        )
        tokenizer = TokenizerConfig.from_dict(meta["tokenizer"])
        return super().create(path, tokenizer, **{**params, "encoder": str(source.resolve())})

    @classmethod
    def matches(cls, path: Path, params: dict) -> bool:
        """As the base, and the copied encoder is still the one in ``params["encoder"]`` (same
        files, sizes and modification times: a model retrained in place starts the build over)."""
        source = Path(params.get("encoder") or "")
        if not source.is_dir() or not super().matches(path, {**params, "encoder": str(source.resolve())}):
            return False
        return _files(source) == _files(Path(path) / "encoder")

    @classmethod
    def _check_encoder(cls, config: dict) -> None:
        """Refuse an encoder (its saved config) this retriever cannot use (override)."""

    def _encoder(self):
        if getattr(self, "_model", None) is None:
            import wenda.encode  # noqa: F401 - registers the encoders the saved config names
            from wenda.nn.modeldir import load_model

            self._model, _ = load_model(self.path / "encoder", "encode")
        return self._model

    def _create_in_qdrant(self, kind: str, dim: int) -> bool:
        """With the ``qdrant`` param (a url), keep the vectors in Qdrant (:mod:`wenda.index.qdrant`)."""
        if not self.params.get("qdrant"):
            return False
        from wenda.index.qdrant import QdrantVectors

        self._store = QdrantVectors.create(self.path / "qdrant", self.params["qdrant"], dim, kind)
        return True

    def _open_in_qdrant(self) -> bool:
        if not self.params.get("qdrant"):
            return False
        from wenda.index.qdrant import QdrantVectors

        self._store = QdrantVectors.open(self.path / "qdrant")
        return True

    def _vectors(self, texts: Sequence[str], side: str) -> np.ndarray:
        if self.remote_encode is not None and side == "passage":  # Ray actors load our encoder copy
            return self.remote_encode(str(self.path / "encoder"), list(texts), side)
        tokens = [self.tokenizer.tokens(t) for t in texts]
        return self._encoder().vectors(tokens, side, batch_size=BATCH)

    def apply(self, ops: Sequence[Op]) -> None:
        if not ops:
            return
        store = self._store
        # Deletes first, in one call; then each passage's last add, so a later add of an id wins.
        store.delete(np.array([op.passage_id for op in ops if op.text is None], np.int64))
        latest = {op.passage_id: op for op in ops}  # the last op per passage decides
        adds = [op for op in latest.values() if op.text is not None]
        for i in range(0, len(adds), 4 * BATCH):
            chunk = adds[i : i + 4 * BATCH]
            ids = np.array([op.passage_id for op in chunk], np.int64)
            vectors = self._vectors([op.text for op in chunk], "passage")
            if self.params.get("qdrant"):  # Qdrant points carry the passage and its provenance
                store.add(ids, vectors, [op.payload() for op in chunk])
            else:
                store.add(ids, vectors)
        store.save()
        self._write_seq(ops[-1].seq)

    def search(self, query: str, k: int = 10) -> list[tuple[int, float]]:
        if k <= 0 or not len(self) or not query.strip():
            return []
        ids, scores = self._search(self._vectors([query], "query"), k)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def __len__(self) -> int:
        return len(self._store)


@register("retriever", "dense")
class DenseRetriever(EncodedRetriever):
    """Float vectors, exact inner-product search (cosine for encoders trained with it)."""

    def _init_storage(self) -> None:
        from wenda.index.vectors import FloatVectors  # faiss and torch load only for learned indexes

        if not self._create_in_qdrant("float", self._encoder().out_dim):
            self._store = FloatVectors.create(self.path / "vectors", self._encoder().out_dim)

    def _load(self) -> None:
        from wenda.index.vectors import FloatVectors

        if not self._open_in_qdrant():
            self._store = FloatVectors.open(self.path / "vectors")

    def _search(self, q: np.ndarray, k: int):
        return self._store.search(q, k)


@register("retriever", "binary")
class BinaryRetriever(EncodedRetriever):
    """BPR codes: Hamming candidates (params ``kind`` flat/hnsw/ivf, ``candidates`` 1000), re-scored."""

    @classmethod
    def default_params(cls) -> dict:
        return {"kind": "flat", "candidates": 1000}

    @classmethod
    def _check_encoder(cls, config: dict) -> None:
        if not config.get("bits"):
            raise IndexError_(
                "the binary retriever needs an encoder trained with a hash layer (train it with --set bits=256)"
            )

    def _init_storage(self) -> None:
        from wenda.index.vectors import BinaryCodes

        if not self._create_in_qdrant("binary", self._encoder().config.bits):
            self._store = BinaryCodes.create(
                self.path / "codes", self._encoder().config.bits, self.params["kind"]
            )

    def _load(self) -> None:
        from wenda.index.vectors import BinaryCodes

        if not self._open_in_qdrant():
            self._store = BinaryCodes.open(self.path / "codes")

    def _search(self, q: np.ndarray, k: int):
        return self._store.search(q, k, candidates=int(self.params["candidates"]))
