"""Errors a user can act on: each names what is wrong and what to do."""

from __future__ import annotations


class WendaError(Exception):
    """Base class for wenda's user-facing errors."""


class BadQueryError(WendaError, ValueError):
    """A query that cannot be searched (empty, too long, control characters)."""


class IndexError_(WendaError):
    """An index directory that is missing, corrupt or from an incompatible version."""


class IngestError(WendaError):
    """A file that cannot be read or parsed; ingestion reports it and moves on."""
