"""User settings: defaults, overridden by a TOML file, overridden by ``WENDA_*`` environment variables.

The TOML file is ``./wenda.toml`` or the path in ``WENDA_CONFIG``. Example::

    data_dir = "/data/wenda"
    max_file_mb = 100

``WENDA_DATA`` is accepted as a short alias of ``WENDA_DATA_DIR``.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from wenda.errors import WendaError


def _default_data_dir() -> Path:
    return Path("../shared/data")


class Settings(BaseSettings):
    """wenda's settings (see module docstring for the sources)."""

    model_config = SettingsConfigDict(env_prefix="WENDA_", extra="ignore")

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        validation_alias=AliasChoices("data_dir", "WENDA_DATA_DIR", "WENDA_DATA"),
    )
    cache_dir: Path = Path.home() / ".cache" / "wenda"
    max_file_mb: float = Field(50.0, gt=0, description="files larger than this are skipped")
    passage_words: int = Field(100, ge=10, description="target words per passage")
    passage_overlap: int = Field(20, ge=0, description="words shared by consecutive passages")
    index_titles: bool = Field(
        False,
        description="new indexes: every retriever reads each passage after its document's title",
    )
    batch_files: int = Field(256, ge=1, description="files committed per store transaction")
    max_query_chars: int = Field(2000, ge=1, description="longer queries are refused")
    write_wait_s: float = Field(
        10.0, ge=0, description="a write waits this long for another process writing the index"
    )
    hybrid_fusion: str = Field(
        "rrf", pattern="^(rrf|minmax|zscore)$", description="hybrid search: rrf or score interpolation"
    )
    hybrid_weight: float = Field(
        0.7,
        ge=0,
        le=1,
        description="hybrid search: the learned retriever's weight (chosen on two dev sets, BENCHMARKS.md)",
    )
    hybrid_tfidf: float = Field(
        0.8,
        ge=0,
        le=1,
        description="hybrid search: TF-IDF's share of the lexical side's weight, when the index has TF-IDF",
    )
    hybrid_depth: int = Field(100, ge=1, description="hybrid search: passages taken from each retriever")
    ask_passages: int = Field(10, ge=1, le=200, description="ask: passages the reader reads")
    ask_rank_prior: float = Field(
        2.0,
        ge=0,
        le=10,
        description="ask: weight of the retriever's ranking beside the reader's (rank ** -w; 0: the "
        "reader alone; 2 chosen on held-out training questions, bench/ask_prior.py)",
    )
    ask_context: int = Field(
        0,
        ge=0,
        le=5,
        description="ask: neighbouring passages of the same document read with each retrieved one, on each side",
    )
    ask_min_confidence: float = Field(
        0.0,
        ge=0,
        le=1,
        description="ask: abstain below this answer probability (the reader's own threshold always applies)",
    )
    reader: Path | None = Field(
        None,
        description="ask: a trained reader directory, or a packaged reader: default (fast), minilm (more accurate, slower; needs wenda[minilm])",
    )
    reader_precision: str = Field(
        "fp32",
        pattern="^(fp32|bf16)$",
        description="ask: the reader's arithmetic, fp32 or bf16 (mixed precision: faster on CPUs with AVX-512 BF16)",
    )
    speech_backend: str = Field(
        "espeak-ng", pattern="^(espeak-ng|festival)$", description="spoken answers: espeak-ng or festival"
    )
    api_key: SecretStr | None = Field(
        None, description="serve: the key write routes require (none: writes refused)"
    )
    api_key_reads: bool = Field(False, description="serve: read routes require the key too")
    max_request_kb: int = Field(1024, ge=1, description="serve: larger request bodies are refused (413)")
    request_timeout_s: float = Field(30.0, gt=0, description="serve: slower requests get 504")

    @model_validator(mode="after")
    def _overlap_below_words(self) -> Settings:
        if self.passage_overlap >= self.passage_words:
            raise ValueError(
                f"passage_overlap ({self.passage_overlap}) must be smaller than passage_words ({self.passage_words})"
            )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = Path(os.environ.get("WENDA_CONFIG", "wenda.toml"))
        toml = TomlConfigSettingsSource(settings_cls, toml_file=toml_path)
        return (init_settings, env_settings, toml)


class ConfigError(WendaError, ValueError):
    """A setting with a bad value, from the TOML file or the environment."""


def settings(**overrides) -> Settings:
    """Current settings, with keyword overrides on top.

    Raises:
        ConfigError: a value is invalid; the message names the setting and why.
    """
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"bad wenda settings (wenda.toml or WENDA_* variables): {problems}") from None
