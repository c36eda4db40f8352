"""Where the machine's CPU went during a run: per process, from /proc CPU times."""

from __future__ import annotations

import os
import resource
import time

import psutil

# Processes by what they are in this benchmark.
_ROLES = {"mariadbd": "MariaDB", "redis-server": "Redis"}


def _role(process: psutil.Process, roles: dict[int, str]) -> str | None:
    if process.pid in roles:
        return roles[process.pid]
    try:
        name = process.name()
        cmdline = " ".join(process.cmdline())
    except psutil.Error:
        return None
    if name == "redis-server" and ":6379" not in cmdline:
        return None  # some other Redis on this machine
    if name in _ROLES:
        return _ROLES[name]
    if "moto_server" in cmdline:
        return "moto (S3)"
    return None


class CpuWindow:
    """CPU seconds per role between enter and exit; `wrk` comes from reaped-children usage."""

    def __init__(self, roles: dict[int, str]) -> None:
        self.roles = dict(roles)
        self.seconds: dict[str, float] = {}
        self.wall = 0.0

    def _snapshot(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for process in psutil.process_iter():
            role = _role(process, self.roles)
            if role is None:
                continue
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            totals[role] = totals.get(role, 0.0) + times.user + times.system
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        totals["wrk"] = children.ru_utime + children.ru_stime
        me = psutil.Process(os.getpid()).cpu_times()
        totals["bench process (stubs)"] = me.user + me.system
        m = psutil.cpu_times()  # guest time is inside user; steal is the hypervisor's
        totals["_busy"] = (
            m.user + m.nice + m.system + getattr(m, "irq", 0.0) + getattr(m, "softirq", 0.0)
        )
        totals["_steal"] = getattr(m, "steal", 0.0)
        return totals

    def __enter__(self) -> CpuWindow:
        self._before = self._snapshot()
        self._started = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        after = self._snapshot()
        self.wall = time.monotonic() - self._started
        delta = {k: after[k] - self._before.get(k, 0.0) for k in after}
        busy, steal = delta.pop("_busy"), delta.pop("_steal")
        delta["everything else on the machine"] = max(0.0, busy - sum(delta.values()))
        delta["stolen by the hypervisor (steal)"] = steal
        self.seconds = delta

    def cores(self) -> dict[str, float]:
        """Average cores used per role over the window."""
        return {k: v / self.wall for k, v in sorted(self.seconds.items(), key=lambda kv: -kv[1])}
