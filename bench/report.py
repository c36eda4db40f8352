"""docs/benchmarks.md from one run's results: machine, method, goals, then the detail tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.report_text import analysis, method

ROUTES = {
    "otp_verify_correct": "POST /api/v1/auth/otp/verify (correct code)",
    "otp_verify_wrong": "POST /api/v1/auth/otp/verify (wrong code)",
    "auth_refresh": "POST /api/v1/auth/refresh",
    "documents_list": "GET /api/v1/documents",
    "otp_send": "POST /api/v1/auth/otp/send (rate-limited)",
}
MiB = 2**20


def verdict(ok: bool) -> str:
    """The table's last column."""
    return "**met**" if ok else "**not met**"


def table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def baseline(load: Any, name: str) -> dict[str, float]:
    """The /health/live runs right before and right after a route, averaged."""
    runs = [load.runs[live] for live in load.baselines[name]]
    return {
        "rps": sum(r.load.rps for r in runs) / 2,
        "p50": sum(r.load.p50_ms for r in runs) / 2,
        "p99": sum(r.load.p99_ms for r in runs) / 2,
        "cpu": sum(r.server_cpu_ms_per_request for r in runs) / 2,
    }


def ratios(load: Any, name: str) -> dict[str, float]:
    """Throughput route/live; latencies and CPU live/route (1.0 = as fast/cheap as live)."""
    base, run = baseline(load, name), load.runs[name]
    return {
        "rps": run.load.rps / base["rps"],
        "p50": base["p50"] / run.load.p50_ms,
        "p99": base["p99"] / run.load.p99_ms,
        "cpu": base["cpu"] / run.server_cpu_ms_per_request,
    }


def route_counts(results: dict[str, Any], name: str) -> Any:
    """The HTTP round-trip window of one route."""
    return next(r for r in results["routes"] if r.name == name)


def _load_goals(load: Any) -> list[list[str]]:
    rows = []
    for name in ("otp_verify_correct", "otp_verify_wrong", "auth_refresh", "documents_list",
                 "otp_send"):  # fmt: skip
        r, run = ratios(load, name), load.runs[name].load
        shown = {"rps": f"{run.rps:.0f} req/s", "p50": f"{run.p50_ms:.1f} ms",
                 "p99": f"{run.p99_ms:.1f} ms"}  # fmt: skip
        for key, what in (("rps", "throughput"), ("p50", "p50 latency"), ("p99", "p99 latency")):
            rows.append([f"{ROUTES[name]}: {what} vs /health/live", f"{r[key]:.2f} ({shown[key]})",
                         "≥ 0.5", verdict(r[key] >= 0.5)])  # fmt: skip
    return rows


def _count_goals(results: dict[str, Any]) -> list[list[str]]:
    decisions = results["decisions"]
    allowed = decisions["allowed decision (3 rules: IP, destination/h, destination/day)"]
    refused = decisions["refused decision, limiter alone"]
    correct = route_counts(results, "otp/verify (correct code)").redis
    wrong = route_counts(results, "otp/verify (wrong code)").redis
    rows = [
        ["Redis round trips per rate-limit decision (allowed / refused)",
         f"{allowed.round_trips:.2f} / {refused.round_trips:.2f}", "exactly 1",
         verdict(allowed.round_trips == 1 and refused.round_trips == 1)],
        ["Redis round trips per OTP verify request (correct / wrong code)",
         f"{correct.round_trips:.2f} / {wrong.round_trips:.2f}", "≤ 2",
         verdict(max(correct.round_trips, wrong.round_trips) <= 2)],
    ]  # fmt: skip
    for sql in results["sql"]:
        if sql.name in ("otp/verify (correct code)", "refresh"):
            route = "otp/verify (correct code)" if sql.name.startswith("otp") else "auth/refresh"
            rows.append([f"SQL statements per {route} request", f"{sql.statements:.2f}", "≤ 3",
                         verdict(sql.statements <= 3)])  # fmt: skip
    return rows


def _other_goals(results: dict[str, Any]) -> list[list[str]]:
    up, loaded, argon = results["upload"], results["load"].worker_loaded, results["argon2"]
    growth = max(up.peak_rss_growth, up.cold_rss_growth) / MiB
    p = argon.parameters
    return [
        ["10 MiB upload: server RSS growth (worst of cold and warm)", f"{growth:.1f} MiB",
         "≤ 8 MiB", verdict(growth <= 8)],
        ["10 MiB upload: API throughput / direct boto3 put",
         f"{up.ratio:.3f} ({up.server_mib_s:.0f} vs {up.direct_mib_s:.0f} MiB/s)", "≥ 0.7",
         verdict(up.ratio >= 0.7)],
        ["Worker: OTP enqueue to provider stub, under load (p50 / p99)",
         f"{loaded.p50_ms:.0f} / {loaded.p99_ms:.0f} ms ({loaded.delivered} messages)",
         "report", "measured"],
        [f"argon2id t={p.time_cost}, m={p.memory_cost_kib // 1024} MiB, p={p.parallelism}",
         f"hash {argon.hash_ms:.0f} ms, verify {argon.verify_ms:.0f} ms", "report", "measured"],
    ]  # fmt: skip


def goal_rows(results: dict[str, Any]) -> list[list[str]]:
    """Every goal of the issue: measured value, target, verdict."""
    return [*_load_goals(results["load"]), *_count_goals(results), *_other_goals(results)]


def throughput_table(results: dict[str, Any]) -> str:
    """Every wrk run."""
    load = results["load"]
    rows = []
    for name, run in load.runs.items():
        r = run.load
        after = name.removeprefix("health_live_after_")
        label = ROUTES.get(name) or (f"GET /health/live (after {after})" if after != name
                                     else "GET /health/live (first)")  # fmt: skip
        ratio, cpu_ratio = "baseline", ""
        if name in ROUTES:
            both = ratios(load, name)
            ratio, cpu_ratio = f"{both['rps']:.2f}", f"{both['cpu']:.2f}"
        answers = ", ".join(f"{k}: {v}" for k, v in sorted(r.statuses.items()))
        if errors := sum(v for k, v in r.errors.items() if k != "status"):
            answers += f"; socket errors {errors}"
        rows.append([label, f"{r.requests}", f"{r.rps:.0f}", ratio, f"{r.p50_ms:.1f}",
                     f"{r.p99_ms:.1f}", f"{run.server_cpu_ms_per_request:.2f}", cpu_ratio,
                     answers])  # fmt: skip
    header = ["route", "requests", "req/s", "req/s ÷ live", "p50 ms", "p99 ms",
              "server CPU ms/req", "live CPU ÷ route CPU", "answers"]  # fmt: skip
    return table(header, rows)


def cpu_table(results: dict[str, Any]) -> str:
    """Average cores per process during each run (the machine has 2)."""
    runs = results["load"].runs
    roles: list[str] = []
    for run in runs.values():
        roles += [k for k in run.cores if k not in roles]
    rows = [[name, *(f"{run.cores.get(role, 0.0):.2f}" for role in roles)]
            for name, run in runs.items()]  # fmt: skip
    return table(["run", *roles], rows)


def redis_table(results: dict[str, Any]) -> str:
    """Round trips per operation, what they were, and the commands Lua ran server-side."""
    operations = [(f"RequestGuard.limit: {k}", c) for k, c in results["decisions"].items()]
    operations += [(f"HTTP {route.name}", route.redis) for route in results["routes"]]
    rows = []
    for name, c in operations:
        stats = c.commandstats
        scripts = stats.get("evalsha", 0.0) + stats.get("eval", 0.0)
        total = sum(stats.values())
        rows.append([name, f"{c.round_trips:.2f}", c.summary() or "none",
                     f"{c.inside_scripts:.1f}", f"{scripts:.2f}", f"{total:.1f}"])  # fmt: skip
    header = ["operation", "round trips", "commands sent per operation (MONITOR)",
              "commands run inside Lua (MONITOR)", "EVALSHA/EVAL calls (commandstats)",
              "all calls (commandstats)"]  # fmt: skip
    return table(header, rows)


def sql_table(results: dict[str, Any]) -> str:
    """Statements in-process, next to everything MariaDB received from the serve process."""
    rows = []
    for sql in results["sql"]:
        server = route_counts(results, sql.name).queries
        received = ", ".join(f"{k} {v:.2f}" for k, v in server.items())
        which = ", ".join(f"{k} {v:.2f}" for k, v in sql.by_statement.items())
        rows.append([sql.name, f"{sql.statements:.2f}", which, f"{sql.checkouts:.2f}",
                     f"{sql.commits:.2f}", f"{sum(server.values()):.2f}: {received}"])  # fmt: skip
    header = ["route", "statements", "which (before_cursor_execute)",
              "pool checkouts (one pre-ping each)", "commits",
              "queries MariaDB received from `domestyx serve` (general log)"]  # fmt: skip
    return table(header, rows)


def _ms(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    median = ordered[len(ordered) // 2] * 1000
    return f"{ordered[0] * 1000:.0f} to {ordered[-1] * 1000:.0f} ms, median {median:.0f} ms"


def upload_table(up: Any) -> str:
    """RSS and throughput of the 10 MiB uploads."""
    return table(["", "value"], [
        ["file", f"valid PNG of exactly {up.size} bytes (1x1 image, tEXt chunk of random letters)"],
        ["server RSS before the measured uploads", f"{up.rss_before / MiB:.1f} MiB"],
        ["RSS growth, first (cold) upload, peak", f"{up.cold_rss_growth / MiB:.2f} MiB"],
        [f"RSS growth, {up.runs} warm uploads, worst peak", f"{up.peak_rss_growth / MiB:.2f} MiB"],
        ["RSS retained after the warm uploads", f"{up.retained_rss_growth / MiB:.2f} MiB"],
        ["API upload (multipart POST until 201)",
         f"{_ms(up.server_seconds)} = {up.server_mib_s:.0f} MiB/s"],
        ["direct boto3 put_object, same bytes, same moto server",
         f"{_ms(up.direct_seconds)} = {up.direct_mib_s:.0f} MiB/s"],
        ["ratio (of the medians)", f"{up.ratio:.3f}"],
    ])  # fmt: skip


def worker_table(load: Any) -> str:
    """Idle and loaded delivery latency."""
    rows = []
    conditions = {
        "idle: 40 sends 250 ms apart": load.worker_idle,
        "under load: during the otp/send wrk run": load.worker_loaded,
    }
    for label, lat in conditions.items():
        mix = f"{lat.channels['email']} / {lat.channels['sms']}"
        row = [f"{lat.delivered}", f"{lat.p50_ms:.0f}", f"{lat.p99_ms:.0f}", f"{lat.max_ms:.0f}"]
        rows.append([label, *row, mix])
    return table(["condition", "messages", "p50 ms", "p99 ms", "max ms", "email / SMS"], rows)


def argon_table(argon: Any) -> str:
    """Production argon2id parameters and their cost."""
    p = argon.parameters
    return table(["", "value"], [
        ["parameters (Argon2Parameters() = the ARGON2_* setting defaults)",
         f"argon2id, time_cost {p.time_cost}, memory {p.memory_cost_kib} KiB "
         f"({p.memory_cost_kib // 1024} MiB), parallelism {p.parallelism}, "
         "16-byte salt, 32-byte hash"],
        ["hash, median of 15", f"{argon.hash_ms:.0f} ms"],
        ["verify, median of 15", f"{argon.verify_ms:.0f} ms"],
        ["verifies per second, 1 thread", f"{argon.per_second_1_thread:.1f}"],
        ["verifies per second, 2 threads", f"{argon.per_second_2_threads:.1f}"],
        ["memory per hash in flight", f"{p.memory_cost_kib // 1024} MiB"],
    ])  # fmt: skip


COMMANDS = """
## Commands

```
make bench                      # make install-dev services, then:
.venv/bin/python -m bench.run   # defaults: --seconds 10 --connections 16 --requests 200 --uploads 5
.venv/bin/python -m bench.run --profile   # diagnosis only: py-spy on every wrk run, no report
```

The wrk command lines of this run (each input file holds prepared requests, one per line, read by
the Lua script in `bench/load.py`):

```
"""


def render(results: dict[str, Any], workdir: Path) -> str:
    """The whole page."""
    m, load, args = results["machine"], results["load"], results["args"]
    return "".join([
        "# Benchmarks\n\n",
        f"One run of `make bench` (`.venv/bin/python -m bench.run`) on {m['date']}, git "
        f"`{m['git']}`, {results['runtime_s']:.0f} s in all. Every number below comes from that "
        "run; its raw output (wrk output, Redis MONITOR traces, server and worker logs, "
        f"`results.json`) stays in `var/bench/{workdir.name}/` (git-ignored).\n\n",
        "## Machine\n\n",
        table(["", ""], [[k, v] for k, v in m.items()]),
        f"\nLoad average when the run started: {results['loadavg_start']}; when it ended: "
        f"{results['loadavg_end']}. Other work on the machine shows in the 'everything else' "
        "column of the CPU table.\n\n",
        method(results),
        "## Goals\n\n",
        "Latency ratios are /health/live's latency divided by the route's (so, like throughput, "
        "1.0 means as fast as /health/live and the goal is ≥ 0.5).\n\n",
        table(["goal", "measured", "target", "verdict"], goal_rows(results)),
        "\n## Throughput and latency\n\n",
        f"wrk, 1 thread, {args['connections']} connections, {args['seconds']} s per route. "
        "Each route is compared with the mean of the /health/live runs right before and right "
        "after it. 'server CPU ms/req' is the serve process's user + system CPU time during the "
        "run divided by the requests answered; 'live CPU ÷ route CPU' is the same comparison "
        "made with CPU time instead of wall-clock rate, which other work on the machine cannot "
        "skew (it is not a goal, it checks the throughput ratio).\n\n",
        throughput_table(results),
        "\n### Where the CPU went (average cores during each run; the machine has 2)\n\n",
        cpu_table(results),
        "\n## Redis round trips\n\n",
        "Counted on the Redis server: `INFO commandstats` before and after each window gives the "
        "totals, and a `redis-cli MONITOR` trace of the same window separates what clients sent "
        "(round trips) from what Lua scripts ran inside Redis (commandstats counts both). EVALSHA "
        "calls are named by the SHA1 of each script in `src/domestyx/adapters/redis/`. "
        f"{args['requests']} sequential requests per HTTP row against `domestyx serve`, with no "
        "worker running.\n\n",
        redis_table(results),
        "\n## SQL statements per request\n\n",
        "In-process: the app built by the composition root on the same settings "
        "(`tests.support.app.build_services`), driven by Litestar's TestClient, 50 requests per "
        "route, counting the engine's `before_cursor_execute`, `commit` and pool `checkout` "
        "events. Next to it, everything MariaDB's general log received from the serve process's "
        "connections during the HTTP window of the Redis table (pings are not logged).\n\n",
        sql_table(results),
        "\n## 10 MiB upload\n\n",
        upload_table(results["upload"]),
        "\nRSS is sampled every 2 ms with psutil while each upload runs; both clients talk HTTPS "
        "to the same `moto_server` process.\n",
        "\n## Worker latency (OTP enqueue to provider stub)\n\n",
        "From `deliveries.created_at` (written just before the enqueue) to the moment the Resend "
        "stub (by idempotency key) or the Twilio stub (by number) received the provider call; one "
        "`domestyx worker` process with the production default WORKER_THREADS.\n\n",
        worker_table(load),
        "\n## argon2id\n\n",
        argon_table(results["argon2"]),
        analysis(results),
        COMMANDS,
        "\n".join(run.load.command for run in load.runs.values()),
        "\n```\n",
    ])  # fmt: skip
