"""Building a retriever from the document store, resumably: the build runs in a temporary directory
that is moved into place only when whole, and an interrupted build continues where it stopped."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path

from wenda import registry
from wenda.corpus.store import Store
from wenda.fileio import atomic_write_json, read_json
from wenda.index.base import Retriever

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]


def build_retriever(
    store: Store, final: Path, name: str, params: dict, progress: Progress, encode=None
) -> Retriever:
    """Build retriever ``name`` (created with ``params``) at ``final`` from all of ``store``'s
    passages and return it opened.

    The build steps through the passages in id order (``build_chunk`` at a time) in ``.NAME.building``
    beside ``final``, each step durable, with ``build.json`` recording the snapshot's seq and the
    last passage done: an interrupted build made with the same parameters continues after that
    passage, and the change log (kept from that seq on) brings it up to date afterwards. ``encode``
    is a remote encoder for learned retrievers (``wenda.scale``), or None.
    """
    tmp = final.with_name(f".{name}.building")
    cls = registry.get("retriever", name)
    mark = tmp / "build.json"
    if mark.exists() and cls.matches(tmp, params):
        r, done_upto = Retriever.open(tmp), read_json(mark, "build progress")
        seq, after = int(done_upto["seq"]), int(done_upto["after"])
        log.info("%s: continuing an interrupted build after passage %d", name, after)
    else:
        shutil.rmtree(tmp, ignore_errors=True)
        r, seq, after = cls.create(tmp, **params), store.max_seq(), 0
    r.remote_encode = encode
    total, done = store.counts()["passages"], store.count_passages(after)
    for ops in store.snapshot_ops(cls.build_chunk, after):
        r.apply(r.indexed(ops))
        atomic_write_json(mark, {"seq": seq, "after": ops[-1].passage_id})
        done += len(ops)
        progress(name, done, total)
    r._write_seq(seq)  # changes since the snapshot are replayed from the log
    r.close()
    mark.unlink(missing_ok=True)
    shutil.rmtree(final, ignore_errors=True)  # without params.json: a damaged leftover
    tmp.rename(final)
    return Retriever.open(final)
