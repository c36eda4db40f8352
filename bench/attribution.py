"""What the Sentry SDK costs per request: a second server, same settings, no backend DSN."""

from __future__ import annotations

from pathlib import Path

from bench.load import run_wrk
from bench.scenarios import Scenarios
from bench.server import ServeProcess
from bench.stack import BenchStack
from bench.throughput import Run, _measure


def without_sentry(
    stack: BenchStack, scenarios: Scenarios, workdir: Path, *, seconds: int, connections: int
) -> dict[str, Run]:
    """Diagnosis: test mode (production needs a DSN), JSON logs, every real adapter, no DSN."""
    env = dict(stack.env, DOMESTYX_ENV="test", LOG_FORMAT="json")
    env.pop("SENTRY_DSN_BACKEND")
    runs: dict[str, Run] = {}
    with ServeProcess(env, workdir / "serve-without-sentry.log") as server:
        assert server.process is not None
        roles = {server.process.pid: "domestyx serve"}
        run_wrk("nosentry_warmup", server.url, scenarios.live(), workdir, seconds=2,
                connections=connections, cycle=True)  # fmt: skip
        runs["health_live"] = _measure(
            "nosentry_health_live", server, scenarios.live(), workdir,
            seconds=seconds, connections=connections, roles=roles, cycle=True,
        )  # fmt: skip
        n = min(int(runs["health_live"].load.rps * seconds * 0.6) + 200, 6000)
        plans = {
            "otp_verify_correct": scenarios.verify_success(n),
            "otp_verify_wrong": scenarios.verify_wrong(n),
            "auth_refresh": scenarios.refresh(n),
        }
        for name, lines in plans.items():
            runs[name] = _measure(
                f"nosentry_{name}", server, lines, workdir,
                seconds=seconds, connections=connections, roles=roles,
            )  # fmt: skip
    return runs
