"""Where datasets live: ``settings().data_dir`` (``WENDA_DATA``, default ``../shared/data``)."""

from __future__ import annotations

from pathlib import Path

from wenda.config import settings
from wenda.data.download import SOURCES
from wenda.errors import WendaError


class DatasetMissing(WendaError, FileNotFoundError):
    """A dataset file that is not under the data directory."""


def data_dir() -> Path:
    """The data directory from wenda's settings (read afresh, so ``WENDA_DATA`` changes apply)."""
    return settings().data_dir


def require(relpath: str, name: str | None = None, root: Path | str | None = None) -> Path:
    """The path of a dataset file under :func:`data_dir`, which must exist.

    Args:
        relpath: the file's path relative to the data directory, e.g.
            ``"squad-dev/squad-v1.1-dev.json"``.
        name: the ``wenda data download`` name that fetches it; by default the name whose source
            has this ``relpath``, else the first folder of ``relpath``.
        root: look under this folder instead of :func:`data_dir`.

    Raises:
        DatasetMissing: the file is absent; the message says how to point at it or fetch it.
    """
    root = Path(root) if root is not None else data_dir()
    path = root / relpath
    if not path.exists():
        name = name or _download_name(relpath)
        raise DatasetMissing(
            f"dataset file not found: {path}. Set WENDA_DATA to the folder that holds "
            f"{relpath!r} (now {root}), or fetch it with `wenda data download {name}`."
        )
    return path


def _download_name(relpath: str) -> str:
    names = [name for name, spec in SOURCES.items() if spec.relpath == Path(relpath).as_posix()]
    return names[0] if names else Path(relpath).parts[0]
