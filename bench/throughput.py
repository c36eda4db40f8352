"""One wrk run against one server, with that server's CPU time per request answered."""

from __future__ import annotations

import time
from pathlib import Path

import attrs

from bench.cpu import CpuWindow
from bench.load import Line, LoadResult, run_wrk
from bench.server import ServeProcess

OTHERS = "everything else on the machine"


@attrs.frozen
class Run:
    """A wrk result, the server's user + system CPU per request, and the machine's other load."""

    load: LoadResult
    server_cpu_ms_per_request: float
    other_cores: float


def measure(
    name: str,
    server: ServeProcess,
    lines: list[Line],
    workdir: Path,
    *,
    seconds: int,
    connections: int,
    cycle: bool = False,
) -> Run:
    """CPU time read from /proc (psutil) before and after the run, children included."""
    assert server.process is not None
    time.sleep(0.5)  # let the previous run's stragglers finish
    before = server.cpu_seconds()
    with CpuWindow({server.process.pid: "server"}) as window:
        load = run_wrk(
            name, server.url, lines, workdir, seconds=seconds, connections=connections, cycle=cycle
        )
    used = server.cpu_seconds() - before
    return Run(load, used * 1000 / max(load.requests, 1), window.cores().get(OTHERS, 0.0))
