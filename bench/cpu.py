"""CPU accounting the benchmarks share: this machine may be shared with other jobs, so each
figure says how many cores other processes kept busy while it was measured."""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable


def busy_s() -> float:
    """CPU seconds all cores together have been busy since boot (/proc/stat; guest time is already
    inside user and nice there)."""
    with open("/proc/stat") as f:
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, f.readline().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def children_cpu_s() -> float:
    """CPU seconds of this process' finished (waited-for) children and their own children."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


class OthersMeter:
    """``with OthersMeter() as m: ...`` then ``m.cores``: the cores other processes kept busy
    meanwhile, on average (machine busy time less ``own()``'s, over wall time); ``own`` is this
    process' CPU time by default (``children_cpu_s`` for a measured subprocess)."""

    def __init__(self, own: Callable[[], float] = time.process_time) -> None:
        self.own = own

    def __enter__(self) -> OthersMeter:
        self.t0, self.busy0, self.own0 = time.monotonic(), busy_s(), self.own()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.monotonic() - self.t0
        others = (busy_s() - self.busy0) - (self.own() - self.own0)
        self.cores = round(max(others, 0.0) / max(self.wall, 1e-9), 2)
