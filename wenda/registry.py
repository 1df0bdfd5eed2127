"""One registry for every pluggable piece: ``register(kind, name)``, ``get``, ``available``.

Modelled on AllenNLP's ``Registrable``: a decorator records a class under a (kind, name) pair so that
configs and the CLI name components by a short string, never by an import path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_REGISTRY: dict[str, dict[str, Any]] = {}


def register(kind: str, name: str) -> Callable[[Any], Any]:
    """Class decorator that records ``cls`` as ``kind/name``."""

    def wrap(cls: Any) -> Any:
        table = _REGISTRY.setdefault(kind, {})
        if name in table and table[name] is not cls:
            raise ValueError(f"{kind}/{name} is already registered to {table[name]!r}")
        table[name] = cls
        cls.registered_name = name
        return cls

    return wrap


def get(kind: str, name: str) -> Any:
    """The class registered as ``kind/name``, or a ValueError listing the choices."""
    table = _REGISTRY.get(kind, {})
    if name not in table:
        choices = ", ".join(sorted(table)) or "none"
        raise ValueError(f"unknown {kind} {name!r}; available: {choices}")
    return table[name]


def available(kind: str) -> list[str]:
    """Names registered under ``kind``, sorted."""
    return sorted(_REGISTRY.get(kind, {}))
