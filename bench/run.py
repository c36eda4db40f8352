"""`python -m bench.run` (`make bench`): every goal of docs/benchmarks.md measured in one run."""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
from tests.support.app import build_services

from bench import report
from bench.argon import measure_argon2
from bench.counts import OperationCounts, count_operations
from bench.load import Line, ensure_wrk, run_wrk
from bench.machine import machine_facts
from bench.scenarios import Scenarios, send_all, sends
from bench.seed import PASSWORD, Seeder
from bench.server import ServeProcess
from bench.stack import ROOT, BenchStack, bench_stack
from bench.throughput import Run, measure
from bench.upload import measure_upload
from bench.worker_latency import BenchWorker, delivery_latency
from domestyx.adapters.system.argon2_hasher import Argon2PasswordHasher

PEER_PYTHON = ROOT / ".venv-peer" / "bin" / "python"
# Hot routes: name -> (how many counted round trips its floor makes: the counts entry, cycle).
HOT: dict[str, tuple[str, bool]] = {
    "otp_verify_correct": ("otp_verify_correct", False),
    "otp_verify_wrong": ("otp_verify_wrong", False),
    "auth_refresh": ("auth_refresh", False),
    "documents_list": ("documents_list", True),
    "me": ("me", True),
    # Four in five sends are to unknown addresses; the floor makes that operation's trips.
    "otp_send": ("otp_send_unknown", False),
}


def _log(message: str) -> None:
    print(message, flush=True)


def _loadavg() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg()) + " (1 / 5 / 15 min)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument(
        "--seconds", type=int, default=8, help="per server and route, split over the rounds (8)"
    )
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument(
        "--rounds", type=int, default=2, help="runs per server and route, cheapest kept (2)"
    )
    parser.add_argument("--requests", type=int, default=100, help="per counted operation (100)")
    parser.add_argument("--uploads", type=int, default=4, help="measured 10 MiB uploads (4)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    return parser


def floor_shape(counts: OperationCounts) -> tuple[int, int]:
    """The floor's Redis and SQL round trips for a route: its counted ones, rounded."""
    return round(counts.redis), round(counts.sql)


def inputs(scenarios: Scenarios, name: str, n: int) -> list[Line]:
    """Fresh input lines for one run of a hot route (single-use lines are never replayed)."""
    builders: dict[str, Callable[[], list[Line]]] = {
        "otp_verify_correct": lambda: scenarios.verify_success(n),
        "otp_verify_wrong": lambda: scenarios.verify_wrong(n),
        "auth_refresh": lambda: scenarios.refresh(n),
        "documents_list": scenarios.documents,
        "me": scenarios.me,
        "otp_send": lambda: scenarios.otp_send(n),
    }
    return builders[name]()


def _servers(stack: BenchStack, workdir: Path) -> dict[str, ServeProcess]:
    database, redis_url = stack.database_url, stack.redis_url
    # Production refuses to start without a DSN; test mode with production's JSON log lines
    # (test mode would log text) leaves the DSN as the only difference.
    nodsn = dict(stack.env, DOMESTYX_ENV="test", LOG_FORMAT="json")
    nodsn.pop("SENTRY_DSN_BACKEND")
    plain = {"PATH": os.environ["PATH"], "HOME": str(workdir), "NO_PROXY": "127.0.0.1,localhost"}
    peer_env = _peer_env(stack, workdir)
    return {
        "prod": ServeProcess(stack.env, workdir / "serve.log"),
        "nodsn": ServeProcess(nodsn, workdir / "serve-without-dsn.log"),
        "floor": ServeProcess(
            {**plain, "DATABASE_URL": database, "REDIS_URL": redis_url},
            workdir / "floor.log",
            command=[sys.executable, "-m", "bench.floor"],
        ),
        "peer": ServeProcess(
            peer_env, workdir / "peer.log", command=[str(PEER_PYTHON), "-m", "bench.peer", "serve"]
        ),
    }


def _cpu(run: Run) -> float:
    return run.server_cpu_ms_per_request


def _floor_lines(template: list[Line], redis_calls: int, sql_calls: int) -> list[Line]:
    """The route's own request lines (method, headers, body) sent to the floor's path."""
    path = f"/floor/{redis_calls}/{sql_calls}"
    return [attrs.evolve(line, path=path) for line in template[:500]]


def ensure_peer_venv() -> None:
    """The fastapi-users peer's own venv (what `make bench` makes), made here when missing."""
    marker = PEER_PYTHON.parents[1] / ".installed"
    if marker.exists():
        return
    _log(f"making {PEER_PYTHON.parents[1]} for the fastapi-users peer")
    subprocess.run([sys.executable, "-m", "venv", str(PEER_PYTHON.parents[1])], check=True)
    pip = [str(PEER_PYTHON), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "-r", str(ROOT / "bench" / "peer-requirements.txt")], check=True)
    marker.touch()


def _peer_env(stack: BenchStack, workdir: Path) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(workdir),
        "NO_PROXY": "127.0.0.1,localhost",
        "PEER_DATABASE_URL": stack.database_url,
        "PEER_SECRET": stack.peer_secret,
    }


def seed_peer(stack: BenchStack, workdir: Path, n: int = 200) -> list[str]:
    """fastapi-users' table and users in the scratch database; an access token per user."""
    out = workdir / "peer-tokens.json"
    subprocess.run(
        [str(PEER_PYTHON), "-m", "bench.peer", "seed", "--count", str(n), "--out", str(out)],
        env=_peer_env(stack, workdir), cwd=ROOT, check=True,
    )  # fmt: skip
    return list(json.loads(out.read_text()))


def cpu_phase(
    stack: BenchStack,
    scenarios: Scenarios,
    counts: dict[str, OperationCounts],
    peer_tokens: list[str],
    *,
    workdir: Path,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """Goals 1-3: each hot route on the production server, without a DSN and on its floor."""
    out: dict[str, Any] = {"runs": {}}
    servers = _servers(stack, workdir)
    for server in servers.values():
        server.start()
    try:
        prod = servers["prod"]
        with prod.client() as http:
            out["ready"] = http.get("/health/ready").json()
        wrk = {"seconds": args.seconds, "connections": args.connections}
        for key, server in servers.items():
            path = "/floor/1/1" if key == "floor" else "/health/live"
            run_wrk(f"warmup_{key}", server.url, [Line("GET", path)], workdir, seconds=2,
                    connections=args.connections, cycle=True)  # fmt: skip
        live = measure("health_live", prod, scenarios.live(), workdir, cycle=True, **wrk)
        # A hot route runs at about a tenth of /health/live; one that runs out of single-use
        # lines early stops early, and its CPU per request is still exact.
        n = min(int(live.load.rps * args.seconds * 0.1) + 300, 2500)
        _log(f"  /health/live {live.load.rps:.0f} req/s; {n} inputs per single-use run")
        out["runs"]["health_live"] = {"prod": live}
        # Rounds, in alternating order, each server's cheapest round kept: a load spike from
        # elsewhere on the machine inflates one run's CPU time, never deflates it.
        rounds = max(1, args.rounds)
        wrk["seconds"] = max(2, args.seconds // rounds)
        for name, (counted, cycle) in HOT.items():
            r, s = floor_shape(counts[counted])
            seen: dict[str, list[Run]] = {}
            for i in range(rounds):
                keys = ["prod", "nodsn", "floor", *(["peer"] if name == "me" else [])]
                for key in keys if i % 2 == 0 else keys[::-1]:
                    if key in ("prod", "nodsn"):
                        lines = inputs(scenarios, name, max(300, n // rounds))
                        template = lines
                    elif key == "floor":
                        lines = _floor_lines(template, r, s)
                    else:
                        lines = [Line("GET", "/users/me", "", f"Bearer {t}") for t in peer_tokens]
                    run = measure(f"{name}_{key}_{i}", servers[key], lines, workdir,
                                  cycle=cycle or key in ("floor", "peer"), **wrk)  # fmt: skip
                    seen.setdefault(key, []).append(run)
            runs = {
                k: min(v, key=lambda run: run.server_cpu_ms_per_request) for k, v in seen.items()
            }
            out["runs"][name] = runs
            out.setdefault("rounds", {})[name] = {
                k: [run.server_cpu_ms_per_request for run in v] for k, v in seen.items()
            }
            out.setdefault("floor_shape", {})[name] = (r, s)
            _log("  " + name + ": " + ", ".join(
                f"{k} {v.server_cpu_ms_per_request:.2f} ms/req {v.load.rps:.0f} req/s"
                for k, v in runs.items()))  # fmt: skip
        out["threads"] = prod.threads()
        _log("10 MiB uploads")
        seeder = scenarios.seeder
        owners = seeder.accounts(args.uploads + 1, "up", email_verified=True, phone_verified=True)
        tokens = [p.access_token for p in seeder.sessions(owners, len(owners))]
        out["upload"] = measure_upload(prod, tokens, endpoint=stack.s3_endpoint,
                                       bucket=stack.bucket)  # fmt: skip
        _log("worker: idle delivery latency")
        with BenchWorker(stack.env, workdir / "worker.log"), prod.client() as http:
            send_all(http, sends(scenarios, 1, real=True))
            since = datetime.now(UTC)
            for line in sends(scenarios, 20, real=True):
                send_all(http, [line])
                time.sleep(0.25)
            out["worker_idle"] = delivery_latency(stack, scenarios.seeder.services, since)
    finally:
        for server in servers.values():
            server.stop()
    return out


def scaling_phase(
    stack: BenchStack, scenarios: Scenarios, workdir: Path, args: argparse.Namespace
) -> dict[str, Run]:
    """Goal 5: `domestyx serve --workers 2`, GET /api/v1/me and /health/live."""
    wrk = {"seconds": args.seconds, "connections": args.connections}
    server = ServeProcess(stack.env, workdir / "serve-workers2.log", args=("--workers", "2"))
    with server:
        run_wrk("warmup_workers2", server.url, scenarios.live(), workdir, seconds=2,
                connections=args.connections, cycle=True)  # fmt: skip
        return {
            "me": measure("me_workers2", server, scenarios.me(), workdir, cycle=True, **wrk),
            "health_live": measure(
                "health_live_workers2", server, scenarios.live(), workdir, cycle=True, **wrk
            ),
        }


def main(argv: list[str] | None = None) -> int:
    """Run everything in one go; the raw numbers land next to the server logs under var/bench."""
    args = _parser().parse_args(argv)
    logging.getLogger("domestyx").setLevel(logging.ERROR)
    started = time.monotonic()
    workdir = ROOT / "var" / "bench" / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    workdir.mkdir(parents=True, exist_ok=True)
    ensure_wrk()
    ensure_peer_venv()
    _log(f"bench: raw output in {workdir}")
    results: dict[str, Any] = {"loadavg_start": _loadavg(), "started": datetime.now(UTC)}
    _log("argon2id cost")
    results["argon2"] = measure_argon2()
    with bench_stack(workdir) as stack:
        services = build_services(stack.settings())
        redis_version = stack.redis().info("server")["redis_version"]
        with services.engine.connect() as conn:
            mariadb_version = conn.exec_driver_sql("SELECT VERSION()").scalar()
        results["machine"] = machine_facts(str(mariadb_version), str(redis_version))
        results["redis_db"] = stack.redis_url.rsplit("/", 1)[1]
        seeder = Seeder(services, Argon2PasswordHasher().hash(PASSWORD))
        scenarios = Scenarios(stack, seeder)
        _log("counts: SQL statements and Redis round trips per operation, in the server")
        results["counts"] = count_operations(stack, scenarios, workdir, args.requests)
        for name, c in results["counts"].items():
            _log(f"  {name}: redis {c.redis:.2f}, sql {c.sql:.2f}, checkouts {c.checkouts:.2f}")
        peer_tokens = seed_peer(stack, workdir)
        _log("CPU per request: production, without a DSN, floor, peer")
        results["cpu"] = cpu_phase(
            stack, scenarios, results["counts"], peer_tokens, workdir=workdir, args=args
        )
        _log("scaling: --workers 2")
        results["scaling"] = scaling_phase(stack, scenarios, workdir, args)
        results["sentry_events"] = len(stack.sentry.events)
        services.engine.dispose()
    results["loadavg_end"] = _loadavg()
    results["runtime_s"] = time.monotonic() - started
    results["args"] = {k: str(v) for k, v in vars(args).items()}
    (workdir / "results.json").write_text(json.dumps(_plain(results), indent=2, default=str))
    text, verdicts = report.render(results, workdir)
    for line in verdicts:
        _log(line)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    _log(f"wrote {args.output} in {results['runtime_s']:.0f} s")
    return 0


def _plain(value: Any) -> Any:
    if attrs.has(type(value)):
        return _plain(attrs.asdict(value, recurse=False))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


if __name__ == "__main__":
    sys.exit(main())
