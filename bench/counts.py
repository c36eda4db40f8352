"""Goal 4: Redis round trips and SQL statements per operation, counted in the server process.

The server is `domestyx serve` under `bench.counted_serve` (the BENCH_COUNTS_FILE switch):
SQLAlchemy events and redis-py's socket writes are tallied there and dumped on SIGUSR1. The
requests of each operation are sent one after another, with nothing else talking to that
server; no server-wide MariaDB or Redis setting is touched.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import pkgutil
import signal
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import attrs
import dramatiq.brokers.redis as dramatiq_redis

import domestyx.adapters.redis as redis_adapters
from bench.counted_serve import SWITCH
from bench.load import Line
from bench.scenarios import Scenarios, send_all, sends
from bench.server import ServeProcess
from bench.stack import BenchStack


def script_names() -> dict[str, str]:
    """SHA1 of every Lua script in domestyx.adapters.redis and dramatiq -> a readable name."""
    names: dict[str, str] = {}
    for info in pkgutil.iter_modules(redis_adapters.__path__):
        module = importlib.import_module(f"{redis_adapters.__name__}.{info.name}")
        for attr, value in vars(module).items():
            if isinstance(value, str) and "redis.call" in value:
                sha = hashlib.sha1(value.encode()).hexdigest()  # noqa: S324 - Redis's own key
                names[sha] = f"{info.name}.{attr.strip('_').lower()}"
    for name, body in dramatiq_redis._scripts.items():
        names[hashlib.sha1(body).hexdigest()] = f"dramatiq.{name}"  # noqa: S324
    return names


@attrs.frozen
class OperationCounts:
    """Per request of one operation."""

    name: str
    requests: int
    statuses: dict[str, int]
    redis: float
    redis_by: dict[str, float]
    sql: float
    sql_by: dict[str, float]
    checkouts: float
    commits: float


class CountedServer(ServeProcess):
    """`domestyx serve` with the counters of bench.counted_serve."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.counts_file = workdir / "counts.json"
        super().__init__(
            {**env, SWITCH: str(self.counts_file)},
            workdir / "serve-counted.log",
            command=[sys.executable, "-m", "bench.counted_serve", "serve", "--host", "127.0.0.1"],
        )

    def take(self) -> dict[str, Any]:
        """Everything counted since the last call (and start counting again)."""
        before = self.counts_file.stat().st_mtime_ns if self.counts_file.exists() else 0
        self.signal(signal.SIGUSR1)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.counts_file.exists() and self.counts_file.stat().st_mtime_ns != before:
                return dict(json.loads(self.counts_file.read_text()))
            time.sleep(0.02)
        raise RuntimeError("the counted server did not dump its counts")


def _per(counter: dict[str, int], n: int, names: dict[str, str] | None) -> dict[str, float]:
    named: Counter[str] = Counter()
    for key, value in counter.items():
        verb, _, sha = key.partition(" ")
        named_as = f"{verb} {names.get(sha, sha[:8])}" if names and verb == "EVALSHA" else key
        named[named_as] += value
    return {k: v / n for k, v in sorted(named.items())}


def measure(server: CountedServer, name: str, lines: list[Line]) -> OperationCounts:
    """Send `lines` one by one; the counts between the two dumps are this operation's."""
    names = script_names()
    with server.client() as http:
        send_all(http, lines[:1])  # connections and pools warm, outside the window
        server.take()
        seen = send_all(http, lines[1:])
        raw = server.take()
    n = max(len(lines) - 1, 1)
    return OperationCounts(
        name=name,
        requests=n,
        statuses={str(k): v for k, v in sorted(seen.items())},
        redis=sum(raw["redis"].values()) / n,
        redis_by=_per(raw["redis"], n, names),
        sql=sum(raw["sql"].values()) / n,
        sql_by=_per(raw["sql"], n, None),
        checkouts=raw["checkouts"] / n,
        commits=raw["commits"] / n,
    )


def count_operations(
    stack: BenchStack, scenarios: Scenarios, workdir: Path, n: int
) -> dict[str, OperationCounts]:
    """Every counted operation, `n` requests each (login and register: fewer, argon2 is slow)."""
    slow = max(5, n // 10)
    results: dict[str, OperationCounts] = {}
    with CountedServer(stack.env, workdir) as server:
        busy_ip = scenarios.ip()
        known_first = scenarios.login(slow + 1, prefix="lk")
        with server.client() as http:  # spend this IP's hourly otp/send allowance first
            send_all(http, sends(scenarios, 25, ip=busy_ip))
            send_all(http, known_first)  # and make these networks their owners' known ones
        plans = {
            "otp_verify_correct": scenarios.verify_success(n + 1),
            "otp_verify_wrong": scenarios.verify_wrong(n + 1),
            "auth_refresh": scenarios.refresh(n + 1),
            "documents_list": scenarios.documents(n + 1),
            "me": scenarios.me(n + 1),
            "otp_send_unknown": sends(scenarios, n + 1),
            "otp_send_real": sends(scenarios, n + 1, real=True),
            "otp_send_refused": sends(scenarios, n + 1, ip=busy_ip),
            "login_new_network": scenarios.login(slow + 1),
            "login": scenarios.login_again(known_first),
            "register": scenarios.register(slow + 1),
        }
        for name, lines in plans.items():
            results[name] = measure(server, name, lines)
    return results
