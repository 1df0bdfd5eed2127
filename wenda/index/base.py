"""The retriever stage's base class: an on-disk index kept in step with the document store.

The document store keeps an append-only change log (``Op``: add or delete one passage, numbered by
``seq``). Every retriever replays that log: it remembers the last ``seq`` it applied, and applying an
op twice must be harmless (an add first deletes the same passage id). So an indexing run killed at any
moment is completed by replaying from the remembered ``seq``, with nothing lost or duplicated.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

from wenda import registry
from wenda.errors import IndexError_
from wenda.fileio import atomic_write_json, read_json
from wenda.text import Tokenizer, TokenizerConfig

FORMAT = 1
COMMON_PARAMS = frozenset({"titles"})  # parameters every retriever takes, read by the base class


class Where(NamedTuple):
    """Where an added passage comes from: its document (id, source, title) and character offsets
    in the document's text. Retrievers that keep payloads (Qdrant) store it beside the passage."""

    doc_id: int
    source: str
    title: str
    start: int
    end: int


@dataclass(frozen=True)
class Op:
    """One change-log entry: add ``text`` as passage ``passage_id`` (from ``where``), or delete it
    (``text is None``)."""

    seq: int
    passage_id: int
    text: str | None
    where: Where | None = None

    def payload(self) -> dict:
        """The passage's text and provenance, as Qdrant points carry them."""
        w = self.where
        return {"text": self.text} | ({} if w is None else w._asdict())


class Retriever(ABC):
    """An index over passages that answers ``search(query, k) -> [(passage_id, score)]``.

    Subclasses register with ``@register("retriever", name)`` and implement ``_init_storage``,
    ``apply``, ``search`` and ``__len__``. ``params.json`` in the index directory records the type,
    format version, tokenizer and the retriever's own parameters; ``state.json`` the applied seq.
    """

    registered_name: str = "?"
    # Passages applied per durable step when built from the store: an interrupted build continues
    # after the last step (Collection._build), so slow encoders take smaller steps.
    build_chunk: int = 50_000
    # Encoding on a Ray cluster (set by Collection.use_ray; only learned retrievers encode).
    remote_encode = None

    def __init__(self, path: Path, tokenizer: TokenizerConfig, params: dict) -> None:
        self.path = Path(path)
        self.tokenizer = Tokenizer(tokenizer)
        self.params = params

    # --- life cycle ---------------------------------------------------------------------------
    @classmethod
    def create(cls, path: Path, tokenizer: TokenizerConfig | None = None, **params) -> Retriever:
        """Create an empty index at ``path`` (which must not hold another one)."""
        path = Path(path)
        if (path / "params.json").exists():
            raise IndexError_(f"{path} already holds an index; open it instead")
        tokenizer = tokenizer or TokenizerConfig()
        params = {**cls.default_params(), **params}
        self = cls(path, tokenizer, params)
        path.mkdir(parents=True, exist_ok=True)
        self._init_storage()
        meta = {"type": f"retriever/{cls.registered_name}", "format": FORMAT}
        atomic_write_json(path / "params.json", {**meta, "tokenizer": tokenizer.to_dict(), "params": params})
        self._write_seq(0)
        return self

    @classmethod
    def matches(cls, path: Path, params: dict) -> bool:
        """Whether ``path`` holds an index of this type and format created with ``params`` (so an
        interrupted build there may continue)."""
        try:
            meta = read_json(Path(path) / "params.json", "index parameters")
        except IndexError_:
            return False
        want = {"type": f"retriever/{cls.registered_name}", "format": FORMAT}
        params = {**cls.default_params(), **params}
        return {k: meta.get(k) for k in want} == want and meta.get("params") == params

    @staticmethod
    def open(path: Path) -> Retriever:
        """Open the index at ``path``, whatever its registered type."""
        path = Path(path)
        meta = read_json(path / "params.json", "index parameters")
        kind, _, name = str(meta.get("type", "")).partition("/")
        if kind != "retriever" or meta.get("format") != FORMAT:
            raise IndexError_(
                f"{path}/params.json: type {meta.get('type')!r} format {meta.get('format')!r} is not a "
                f"retriever index of format {FORMAT}"
            )
        try:
            cls = registry.get("retriever", name)
            tokenizer, params = TokenizerConfig.from_dict(meta["tokenizer"]), dict(meta["params"])
        except (KeyError, TypeError, ValueError) as exc:
            raise IndexError_(f"{path}/params.json: is incomplete or invalid ({exc})") from None
        self = cls(path, tokenizer, params)
        self._load()
        return self

    @classmethod
    def default_params(cls) -> dict:
        """The retriever's parameters when none are given."""
        return {}

    @property
    def applied_seq(self) -> int:
        """The last change-log seq this index has durably applied."""
        return int(read_json(self.path / "state.json", "index state")["applied_seq"])

    def _write_seq(self, seq: int) -> None:
        atomic_write_json(self.path / "state.json", {"applied_seq": int(seq)})

    # --- to implement -------------------------------------------------------------------------
    @abstractmethod
    def _init_storage(self) -> None:
        """Create the empty on-disk structures."""

    def _load(self) -> None:  # noqa: B027 - optional hook
        """Open on-disk structures (called by :meth:`open`)."""

    def indexed(self, ops: Sequence[Op]) -> list[Op]:
        """``ops`` as this index reads them: with the ``titles`` parameter, each added passage's
        text comes after its document's title on a line of its own (as DPR encodes "title [SEP]
        passage", Karpukhin et al. 2020), so a passage that never names its article's subject can
        still be found by it. Hits keep the passage's own text (the store's)."""
        if not self.params.get("titles"):
            return list(ops)
        return [
            replace(op, text=f"{op.where.title}\n{op.text}")
            if op.text and op.where and op.where.title
            else op
            for op in ops
        ]

    @abstractmethod
    def apply(self, ops: Sequence[Op]) -> None:
        """Apply ops (sorted by seq) idempotently, then record ``ops[-1].seq`` as applied."""

    @abstractmethod
    def search(self, query: str, k: int = 10) -> list[tuple[int, float]]:
        """The ``k`` best ``(passage_id, score)`` pairs, best first; ties by passage id."""

    @abstractmethod
    def __len__(self) -> int:
        """Number of live passages."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources."""
