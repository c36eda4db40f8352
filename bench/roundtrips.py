"""Round trips per request: Redis and MariaDB seen from the servers, SQL seen in-process."""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from pathlib import Path
from typing import Any

import attrs
from litestar.testing import TestClient

from bench.counts import MariaDbLog, RedisCounts, RedisTrace, SqlCounter
from bench.load import Line
from bench.scenarios import Scenarios, send_all, sends
from bench.server import ServeProcess
from bench.stack import API_HOST, BenchStack
from domestyx.domain.model.abuse import Operation, Scope
from domestyx.domain.model.audit import ClientContext
from domestyx.domain.model.errors import RateLimited
from domestyx.entrypoints.http.app import create_app
from domestyx.entrypoints.services import Services


@attrs.frozen
class RouteCounts:
    """One route's sequential window against `domestyx serve`."""

    name: str
    requests: int
    statuses: dict[int, int]
    redis: RedisCounts
    queries: dict[str, float]  # what MariaDB received from the serve process, per request


@attrs.frozen
class SqlCounts:
    """One route's window in-process, through the SQLAlchemy engine's events."""

    name: str
    requests: int
    statuses: dict[int, int]
    statements: float
    by_statement: dict[str, float]
    checkouts: float
    commits: float


def _route(
    name: str, lines: list[Line], server: ServeProcess, stack: BenchStack, workdir: Path
) -> RouteCounts:
    queries = MariaDbLog(stack.database_url)
    with server.client() as http:
        send_all(http, lines[:3])  # warm: scripts loaded, pool connected
        slug = re.sub(r"\W+", "-", name).strip("-")
        trace = RedisTrace(stack.redis_url, workdir / f"monitor-{slug}.log")
        with trace, queries:
            seen = send_all(http, lines[3:])
    n = len(lines) - 3
    return RouteCounts(name, n, dict(seen), trace.counts(n), queries.per(n))


def over_http(
    scenarios: Scenarios, server: ServeProcess, stack: BenchStack, workdir: Path, n: int
) -> list[RouteCounts]:
    """n sequential requests per route through the real server; nothing else touches Redis."""
    busy_ip = scenarios.ip()
    with server.client() as http:  # spend this IP's hourly otp/send allowance first
        send_all(http, sends(scenarios, 20, ip=busy_ip))
    plans = [
        ("otp/verify (correct code)", scenarios.verify_success(n + 3)),
        ("otp/verify (wrong code)", scenarios.verify_wrong(n + 3)),
        ("refresh", scenarios.refresh(n + 3)),
        ("GET documents", scenarios.documents(n + 3)),
        ("otp/send (unknown address)", sends(scenarios, n + 3)),
        ("otp/send (real account, enqueued)", sends(scenarios, n + 3, real=True)),
        ("otp/send (refused by per-IP limit)", sends(scenarios, n + 3, ip=busy_ip)),
    ]
    return [_route(name, lines, server, stack, workdir) for name, lines in plans]


def limiter_decisions(
    services: Services, stack: BenchStack, workdir: Path, n: int
) -> dict[str, RedisCounts]:
    """RequestGuard.limit called directly: allowed, refused, and the limiter alone."""
    guard = services.guard
    results = {}
    rules = {Operation.OTP_SEND: {Scope.DESTINATION: "bench-destination"}}
    trace = RedisTrace(stack.redis_url, workdir / "monitor-decisions-allowed.log")
    with trace:
        for i in range(n):
            ctx = ClientContext(ip=f"192.0.2.{i % 250}", user_agent="bench")
            guard.limit({Operation.OTP_SEND: {Scope.DESTINATION: f"d-{i}"}}, ctx)
    results["allowed decision (3 rules: IP, destination/h, destination/day)"] = trace.counts(n)
    busy = ClientContext(ip="198.51.100.99", user_agent="bench")
    for i in range(25):
        with contextlib.suppress(RateLimited):
            guard.limit({Operation.OTP_SEND: {Scope.DESTINATION: f"x-{i}"}}, busy)
    trace = RedisTrace(stack.redis_url, workdir / "monitor-decisions-refused.log")
    with trace:
        for _ in range(n):
            with contextlib.suppress(RateLimited):
                guard.limit(rules, busy)
    results["refused request (decision + audit-sampling decision)"] = trace.counts(n)
    policy_rules = guard.policy.rules(
        Operation.OTP_SEND, {Scope.IP: "198.51.100.99", Scope.DESTINATION: "bench-destination"}
    )
    trace = RedisTrace(stack.redis_url, workdir / "monitor-decisions-limiter.log")
    with trace:
        for _ in range(n):
            guard.limiter.hit(policy_rules, now=services.clock.now())
    results["refused decision, limiter alone"] = trace.counts(n)
    return results


def in_process_sql(scenarios: Scenarios, services: Services, n: int) -> list[SqlCounts]:
    """The same routes through a TestClient on the same settings, counting engine events."""
    counter = SqlCounter()
    counter.attach(services.engine)
    redis_client = services.guard.limiter._client  # type: ignore[attr-defined]
    app = create_app(services, embedded_worker=False)
    plans = [
        ("otp/verify (correct code)", scenarios.verify_success(n)),
        ("otp/verify (wrong code)", scenarios.verify_wrong(n)),
        ("refresh", scenarios.refresh(n)),
        ("GET documents", scenarios.documents(n)),
    ]
    results = []
    with TestClient(app=app, base_url=f"http://{API_HOST}") as client:
        for name, lines in plans:
            for key in redis_client.scan_iter("dx:rl:*"):  # one TestClient address for all
                redis_client.delete(key)
            counter.reset()
            seen: Counter[int] = Counter()
            for line in lines:
                headers = {"Authorization": line.authorization} if line.authorization else {}
                response = client.request(line.method, line.path, json=line.body, headers=headers)
                seen[response.status_code] += 1
            results.append(_sql_counts(name, counter, len(lines), seen))
    return results


def _sql_counts(name: str, counter: SqlCounter, n: int, seen: Counter[int]) -> SqlCounts:
    by: Counter[str] = Counter(counter.statements)
    return SqlCounts(
        name=name,
        requests=n,
        statuses=dict(seen),
        statements=len(counter.statements) / n,
        by_statement={k: v / n for k, v in sorted(by.items())},
        checkouts=counter.checkouts / n,
        commits=counter.commits / n,
    )


def as_dict(value: Any) -> Any:
    """attrs -> plain data for results.json."""
    return attrs.asdict(value) if attrs.has(type(value)) else value
