"""`python -m bench.run` (`make bench`): every benchmark once, results to docs/benchmarks.md."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
from tests.support.app import build_services

from bench import report
from bench.argon import measure_argon2
from bench.attribution import without_sentry
from bench.load import ensure_wrk
from bench.machine import machine_facts
from bench.profile import gil_profile, upload_profile
from bench.roundtrips import in_process_sql, limiter_decisions, over_http
from bench.scenarios import Scenarios
from bench.seed import PASSWORD, Seeder
from bench.server import ServeProcess
from bench.stack import ROOT, bench_stack
from bench.throughput import load_phase
from bench.upload import measure_upload, upload_many
from domestyx.adapters.system.argon2_hasher import Argon2PasswordHasher


def _log(message: str) -> None:
    print(message, flush=True)


def _loadavg() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg()) + " (1 / 5 / 15 min)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--seconds", type=int, default=10, help="per wrk run (default 10)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument("--requests", type=int, default=200, help="per round-trip count (200)")
    parser.add_argument("--uploads", type=int, default=5, help="measured 10 MiB uploads (5)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="py-spy each wrk run (slows the server: diagnosis only)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run everything in one go; the raw numbers land next to the server logs under var/bench."""
    args = _parser().parse_args(argv)
    # The in-process services log refusals the benchmark causes on purpose; keep the console quiet.
    logging.getLogger("domestyx").setLevel(logging.ERROR)
    started = time.monotonic()
    workdir = ROOT / "var" / "bench" / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    workdir.mkdir(parents=True, exist_ok=True)
    ensure_wrk()
    _log(f"bench: raw output in {workdir}")
    _log("argon2id cost (quiet machine)")
    results: dict[str, Any] = {"loadavg_start": _loadavg(), "argon2": measure_argon2()}
    with bench_stack(workdir) as stack:
        services = build_services(stack.settings())
        redis_version = stack.redis().info("server")["redis_version"]
        with services.engine.connect() as conn:
            mariadb_version = conn.exec_driver_sql("SELECT VERSION()").scalar()
        results["machine"] = machine_facts(str(mariadb_version), str(redis_version))
        seeder = Seeder(services, Argon2PasswordHasher().hash(PASSWORD))
        scenarios = Scenarios(stack, seeder)
        with ServeProcess(stack.env, workdir / "serve.log") as server:
            with server.client() as http:
                results["ready"] = http.get("/health/ready").json()
            _log("round trips: sequential requests against `domestyx serve`")
            results["routes"] = over_http(scenarios, server, stack, workdir, args.requests)
            results["decisions"] = limiter_decisions(services, stack, workdir, args.requests)
            _log("SQL statements: in-process TestClient on the same settings")
            results["sql"] = in_process_sql(scenarios, services, 50)
            _log("10 MiB uploads")
            owners = seeder.accounts(args.uploads + 1, "up", email_verified=True,
                                     phone_verified=True)  # fmt: skip
            tokens = [p.access_token for p in seeder.sessions(owners, len(owners))]
            results["upload"] = measure_upload(
                server, tokens, endpoint=stack.s3_endpoint, bucket=stack.bucket
            )
            results["upload_profile"] = upload_profile(
                server, lambda: upload_many(server, tokens), workdir
            )
            _log("load: wrk")
            results["load"] = load_phase(
                stack, server, services, scenarios, workdir,
                seconds=args.seconds, connections=args.connections, profile=args.profile, log=_log,
            )  # fmt: skip
            _log("py-spy on otp/verify, correct and wrong codes (after the measured runs)")
            results["profile"] = {
                "otp_verify_correct": gil_profile(
                    server, scenarios.verify_success(3000), workdir, "otp_verify_correct"
                ),
                "otp_verify_wrong": gil_profile(
                    server, scenarios.verify_wrong(3000), workdir, "otp_verify_wrong"
                ),
            }
        _log("attribution: the same routes on a server without Sentry")
        results["attribution"] = without_sentry(
            stack, scenarios, workdir,
            seconds=max(5, args.seconds // 2), connections=args.connections,
        )  # fmt: skip
        results["sentry_events"] = len(stack.sentry.events)
        services.engine.dispose()
    results["loadavg_end"] = _loadavg()
    results["runtime_s"] = time.monotonic() - started
    results["args"] = {k: str(v) for k, v in vars(args).items()}
    (workdir / "results.json").write_text(json.dumps(_plain(results), indent=2, default=str))
    if args.profile:
        _log(f"profiled run: not writing {args.output}; see {workdir}")
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report.render(results, workdir))
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
