"""Word vocabulary for the neural models: word -> id, document frequencies, hashed OOV buckets.

Id 0 is padding. Ids ``1 .. oov_buckets`` are buckets that unseen words hash into (murmur3), as
fastText and spaCy do: two mentions of the same unseen name still get the same id, so exact-match
signals (K-NRM's exact kernel, DRMM's histogram's last bin, MatchPyramid's indicator) survive words
never seen in training, while two different unseen words rarely collide. Known words follow.

Document frequencies of the building corpus are kept (``df``, ``n_docs``) because DRMM's term gating
and the BM25 baseline need IDF; they are saved in ``vocab.json`` with the words.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import mmh3

from wenda.errors import WendaError
from wenda.fileio import atomic_write_json

FORMAT = 1
PAD = 0


class VocabError(WendaError, ValueError):
    """A vocabulary file that is missing, corrupt or of another format."""


class Vocab:
    """Maps tokens to ids (see the module docstring for the id layout)."""

    def __init__(self, words: Sequence[str], df: Sequence[int], n_docs: int, oov_buckets: int = 1024):
        if len(words) != len(df):
            raise VocabError(f"vocab has {len(words)} words but {len(df)} document frequencies")
        if oov_buckets < 1:
            raise VocabError("oov_buckets must be at least 1")
        self.words = list(words)
        self.df = list(df)
        self.n_docs = int(n_docs)
        self.oov_buckets = oov_buckets
        self._ids = {w: i + 1 + oov_buckets for i, w in enumerate(self.words)}
        if len(self._ids) != len(self.words):
            raise VocabError("vocab has duplicate words")

    def __len__(self) -> int:
        return 1 + self.oov_buckets + len(self.words)

    @property
    def offset(self) -> int:
        """The id of the first known word."""
        return 1 + self.oov_buckets

    def id(self, token: str) -> int:
        """The id of ``token``: its own, or its OOV bucket."""
        known = self._ids.get(token)
        if known is not None:
            return known
        return 1 + mmh3.hash(token, signed=False) % self.oov_buckets

    def encode(self, tokens: Iterable[str]) -> list[int]:
        """Ids of ``tokens``, in order."""
        return [self.id(t) for t in tokens]

    def token_df(self, token_id: int) -> int:
        """Document frequency of a known word id; 0 for padding and OOV buckets."""
        return self.df[token_id - self.offset] if token_id >= self.offset else 0

    @classmethod
    def build(
        cls,
        texts: Iterable[Sequence[str]],
        min_count: int = 1,
        extra_words: Iterable[str] = (),
        oov_buckets: int = 1024,
    ) -> Vocab:
        """Vocabulary of tokenized ``texts`` (each one document), plus ``extra_words`` (e.g. the most
        frequent words of a pretrained embedding, so their vectors are usable at prediction time).

        Words are ordered by descending count, then alphabetically, so builds are deterministic.
        """
        counts: Counter[str] = Counter()
        df: Counter[str] = Counter()
        n_docs = 0
        for tokens in texts:
            n_docs += 1
            counts.update(tokens)
            df.update(set(tokens))
        words = [w for w, c in sorted(counts.items(), key=lambda wc: (-wc[1], wc[0])) if c >= min_count]
        seen = set(words)
        words += [w for w in dict.fromkeys(extra_words) if w not in seen]
        return cls(words, [df[w] for w in words], n_docs, oov_buckets)

    # --- persistence --------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """A JSON-ready dict."""
        return {
            "format": FORMAT,
            "oov_buckets": self.oov_buckets,
            "n_docs": self.n_docs,
            "words": self.words,
            "df": self.df,
        }

    def save(self, path: Path) -> None:
        """Write ``vocab.json`` atomically."""
        atomic_write_json(path, self.to_dict())

    @classmethod
    def from_dict(cls, data: dict) -> Vocab:
        """Rebuild from :meth:`to_dict`."""
        if data.get("format") != FORMAT:
            raise VocabError(f"vocab format {data.get('format')!r} is not {FORMAT}")
        try:
            return cls(data["words"], data["df"], data["n_docs"], data["oov_buckets"])
        except (KeyError, TypeError) as exc:
            raise VocabError(f"vocab is missing or has a malformed field: {exc}") from None

    @classmethod
    def load(cls, path: Path) -> Vocab:
        """Read ``vocab.json``."""
        import json

        try:
            return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise VocabError(f"vocabulary file {path} is missing") from None
        except (UnicodeDecodeError, json.JSONDecodeError, AttributeError) as exc:
            raise VocabError(f"vocabulary file {path} is corrupt: {exc}") from None
