"""The load phase: wrk against each route, the /health/live baseline before and after."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import attrs

from bench.cpu import CpuWindow
from bench.load import Line, LoadResult, run_wrk
from bench.profile import py_spy
from bench.scenarios import Scenarios, send_all, sends
from bench.server import ServeProcess
from bench.stack import BenchStack
from bench.worker_latency import BenchWorker, Latency, delivery_latency
from domestyx.entrypoints.services import Services


@attrs.frozen
class Run:
    """A wrk result with the server's CPU time spent on it, and every process's share."""

    load: LoadResult
    server_cpu_ms_per_request: float
    cores: dict[str, float]
    profile: dict[str, float] | None = None


@attrs.define
class Throughput:
    """Every run of the load phase."""

    runs: dict[str, Run] = attrs.Factory(dict)
    # Route -> the /health/live runs just before and just after it.
    baselines: dict[str, tuple[str, str]] = attrs.Factory(dict)
    worker_idle: Latency | None = None
    worker_loaded: Latency | None = None
    server_threads: int = 0


def _profile(server: ServeProcess, seconds: int, out: Path) -> dict[str, float]:
    """py-spy (if installed) on the server for most of a run: top frames by inclusive share."""
    binary = py_spy()
    if binary is None or server.process is None:
        return {}
    subprocess.run(
        [binary, "record", "-p", str(server.process.pid), "-d", str(seconds), "-r", "100",
         "-f", "raw", "-o", str(out), "--nonblocking"],
        capture_output=True, check=False,
    )  # fmt: skip
    return summarize_profile(out)


def summarize_profile(path: Path, top: int = 25) -> dict[str, float]:
    """Inclusive share of the busiest frames in py-spy's collapsed output."""
    inclusive: dict[str, int] = {}
    total = 0
    if not path.exists():
        return {}
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        total += int(count)
        for frame in set(stack.split(";")):
            inclusive[frame] = inclusive.get(frame, 0) + int(count)
    ranked = sorted(inclusive.items(), key=lambda kv: -kv[1])[:top]
    return {frame: n / max(total, 1) for frame, n in ranked}


def _measure(
    name: str,
    server: ServeProcess,
    lines: list[Line],
    workdir: Path,
    *,
    seconds: int,
    connections: int,
    roles: dict[int, str],
    cycle: bool = False,
    profile: bool = False,
) -> Run:
    cpu = server.cpu_seconds()
    spied: dict[str, dict[str, float]] = {}
    spy = None
    if profile:
        spy = threading.Thread(
            target=lambda: spied.setdefault(
                "p", _profile(server, max(1, seconds - 2), workdir / f"{name}.pyspy.txt")
            )
        )
        spy.start()
    with CpuWindow(roles) as window:
        load = run_wrk(
            name, server.url, lines, workdir, seconds=seconds, connections=connections, cycle=cycle
        )
    if spy is not None:
        spy.join()
    used = server.cpu_seconds() - cpu
    time.sleep(1)
    return Run(load, used * 1000 / max(load.requests, 1), window.cores(), spied.get("p"))


def load_phase(
    stack: BenchStack,
    server: ServeProcess,
    services: Services,
    scenarios: Scenarios,
    workdir: Path,
    *,
    seconds: int,
    connections: int,
    profile: bool = False,
    log: Callable[[str], None] = print,
) -> Throughput:
    """/health/live, then each route (fresh inputs) followed by /health/live again."""
    out = Throughput()
    assert server.process is not None
    roles = {server.process.pid: "domestyx serve"}
    last_live = ["health_live"]

    def measure(name: str, lines: list[Line], *, cycle: bool = False) -> None:
        log(f"  wrk {name}: {len(lines)} input lines")
        time.sleep(1)  # let the database settle after seeding
        out.runs[name] = _measure(
            name, server, lines, workdir, seconds=seconds, connections=connections,
            roles=roles, cycle=cycle, profile=profile,
        )  # fmt: skip
        r = out.runs[name].load
        log(f"    {r.rps:.0f} req/s, p50 {r.p50_ms:.1f} ms, p99 {r.p99_ms:.1f} ms, {r.statuses}")

    def route(name: str, lines: list[Line], *, cycle: bool = False) -> None:
        measure(name, lines, cycle=cycle)
        live = f"health_live_after_{name}"
        measure(live, scenarios.live(), cycle=True)
        out.baselines[name] = (last_live[0], live)
        last_live[0] = live

    run_wrk("warmup", server.url, scenarios.live(), workdir, seconds=3,
            connections=connections, cycle=True)  # fmt: skip
    measure("health_live", scenarios.live(), cycle=True)
    # Enough fresh inputs for 60 % of the baseline's rate; a faster route stops early, and its
    # rate is still exact (wrk's Lua timestamps the first request and the last response).
    n = int(out.runs["health_live"].load.rps * seconds * 0.6) + 200
    route("otp_verify_correct", scenarios.verify_success(n))
    route("otp_verify_wrong", scenarios.verify_wrong(n))
    route("auth_refresh", scenarios.refresh(n))
    route("documents_list", scenarios.documents(), cycle=True)
    out.server_threads = server.threads()
    with BenchWorker(stack.env, workdir / "worker.log") as worker:
        assert worker.process is not None
        roles[worker.process.pid] = "domestyx worker"
        log("  worker: idle latency (40 sends, 250 ms apart, after one warm-up delivery)")
        with server.client() as http:
            warm_since = datetime.now(UTC)
            send_all(http, sends(scenarios, 1, real=True))
            delivery_latency(stack, services, warm_since)
            since = datetime.now(UTC)
            for line in sends(scenarios, 40, real=True):
                send_all(http, [line])
                time.sleep(0.25)
        out.worker_idle = delivery_latency(stack, services, since)
        send_lines = scenarios.otp_send(n)
        since = datetime.now(UTC)
        measure("otp_send", send_lines)
        out.worker_loaded = delivery_latency(stack, services, since)
    live = "health_live_after_otp_send"
    measure(live, scenarios.live(), cycle=True)
    out.baselines["otp_send"] = (last_live[0], live)
    return out
