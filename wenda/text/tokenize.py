"""Unicode-aware tokenization with Chinese/Japanese support, shared by all retrievers.

Words are maximal runs of letters and digits in any script (Unicode ``\\w`` less the underscore).
Han and kana characters carry no spaces between words, so runs of them become overlapping character
bigrams, as Lucene's CJKAnalyzer does (a lone character stays a unigram): this needs no dictionary,
never mis-segments, and works as well as a segmenter for retrieval (Kwok 1997; Lucene's default for
CJK). Hangul is spaced, so it is treated as ordinary words.

The same tokenizer configuration is saved with every index, so queries are tokenized exactly as the
documents were: BM25 parity with bm25s depends on this.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, replace
from functools import cached_property

# Han (CJK unified + ext A + compatibility) and Japanese kana.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN_RE = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
# The same, plus each punctuation mark or symbol as a token of its own (TokenizerConfig.punctuation).
_TOKEN_PUNCT_RE = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+|[^\w\s]|_")
_CJK_RE = re.compile(rf"[{_CJK}]")
_STEM_CACHE = 200_000


@dataclass(frozen=True)
class TokenizerConfig:
    """How text becomes index terms; saved in each index's ``params.json``.

    Attributes:
        lowercase: case-fold words.
        stopwords: ``"en"`` drops Lucene's 33 English stopwords (the list bm25s uses), ``None`` keeps all.
        stemmer: a Snowball language for PyStemmer (``"english"``), or ``None`` for no stemming.
        cjk: ``"bigram"`` (Lucene CJKAnalyzer) or ``"char"`` (one token per character).
        punctuation: also keep each punctuation mark and symbol as a token of its own (off for
            retrieval; on for readers built on a pretrained transformer, which read sentences with
            their commas, brackets and full stops as they were pre-trained to).
    """

    lowercase: bool = True
    stopwords: str | None = "en"
    stemmer: str | None = "english"
    cjk: str = "bigram"
    punctuation: bool = False

    def same_words(self, other: TokenizerConfig) -> bool:
        """True when ``other`` splits text into the same words, whether or not it also keeps
        punctuation marks as tokens (``punctuation`` aside, the settings are equal)."""
        return replace(self, punctuation=other.punctuation) == other

    def to_dict(self) -> dict:
        """A JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> TokenizerConfig:
        """Rebuild from :meth:`to_dict`, rejecting unknown keys."""
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown tokenizer settings: {sorted(unknown)}")
        return cls(**data)


class Tokenizer:
    """Turns text into index terms according to a :class:`TokenizerConfig`."""

    def __init__(self, config: TokenizerConfig | None = None) -> None:
        self.config = config or TokenizerConfig()
        if self.config.cjk not in ("bigram", "char"):
            raise ValueError(f"cjk must be 'bigram' or 'char', not {self.config.cjk!r}")
        self._pattern = _TOKEN_PUNCT_RE if self.config.punctuation else _TOKEN_RE

    @cached_property
    def _stopwords(self) -> frozenset[str]:
        if self.config.stopwords is None:
            return frozenset()
        if self.config.stopwords != "en":
            raise ValueError(f"unknown stopword list {self.config.stopwords!r}; use 'en' or None")
        from bm25s.stopwords import STOPWORDS_EN

        return frozenset(STOPWORDS_EN)

    @cached_property
    def _stem(self):
        if self.config.stemmer is None:
            return None
        import Stemmer

        # Stemming is over half the tokenizer's time; PyStemmer memoizes, and a cache that holds a
        # corpus' vocabulary (default 10,000 words) makes it ~1.5-2x faster on large corpora.
        return Stemmer.Stemmer(self.config.stemmer, _STEM_CACHE).stemWords

    def _cjk_grams(self, run: str) -> list[str]:
        if self.config.cjk == "char" or len(run) == 1:
            return list(run)
        return [run[i : i + 2] for i in range(len(run) - 1)]

    def _normalize(self, text: str) -> str:
        text = unicodedata.normalize("NFKC", text)
        return text.lower() if self.config.lowercase else text

    def tokens(self, text: str) -> list[str]:
        """Index terms of ``text``, in order (duplicates kept: term frequency matters)."""
        out: list[str] = []
        has_cjk = False
        stop = self._stopwords
        for tok in self._pattern.findall(self._normalize(text)):
            if tok[0] >= "\u3040" and _CJK_RE.match(tok):
                has_cjk = True
                out.extend(self._cjk_grams(tok))
            elif tok not in stop:
                out.append(tok)
        if self._stem is None or not out:
            return out
        if not has_cjk:
            return self._stem(out)
        # Stem words only, in place, so term order (needed for bigrams) is kept.
        return [t if _CJK_RE.match(t) else s for t, s in zip(out, self._stem(out), strict=True)]

    def spans(self, text: str) -> list[tuple[str, int, int]]:
        """``(term, start, end)`` for each term, with offsets into the original ``text``.

        Used to highlight query terms in a passage; stopwords are omitted, as in :meth:`tokens`.
        """
        out: list[tuple[str, int, int]] = []
        for m in self._pattern.finditer(text):
            tok = self._normalize(m.group())
            if _CJK_RE.match(tok):
                for i, gram in enumerate(self._cjk_grams(tok)):
                    out.append((gram, m.start() + i, m.start() + i + len(gram)))
            elif tok not in self._stopwords:
                stem = self._stem([tok])[0] if self._stem is not None else tok
                out.append((stem, m.start(), m.end()))
        return out
