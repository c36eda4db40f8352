"""Readiness checks of every configured dependency, each bounded by a short timeout."""

from __future__ import annotations

import hmac
import math
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any

from domestyx.ports.repositories import DatabaseHealth
from domestyx.ports.storage import DocumentStorage

if TYPE_CHECKING:
    import dramatiq
    import redis

HealthCheck = Callable[[], str]
# Checks run side by side; a hung dependency costs its own timeout, never the others'.
_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="health")


def health_checks(
    database: DatabaseHealth,
    redis_client: redis.Redis | None,
    storage: DocumentStorage,
    broker: dramatiq.Broker,
) -> dict[str, HealthCheck]:
    """One probe per dependency; each returns a short detail or raises."""

    def check_database() -> str:
        database.ping()
        return "ok"

    def check_redis() -> str:
        if redis_client is None:
            return "in-memory (embedded default)"
        redis_client.ping()
        return "ok"

    def check_storage() -> str:
        health = storage.health()
        if not health.reachable:
            raise RuntimeError(health.detail or "unreachable")
        if not health.private:
            raise RuntimeError("bucket allows anonymous reads")
        return health.detail or "ok, private"

    def check_broker() -> str:
        client = getattr(broker, "client", None)
        if client is None:
            return "in-process (embedded default)"
        client.ping()
        return "ok"

    return {
        "database": check_database,
        "redis": check_redis,
        "storage": check_storage,
        "broker": check_broker,
    }


def run_checks(
    checks: Mapping[str, HealthCheck], timeout_s: float = 1.5, *, verbose: bool = False
) -> dict[str, dict[str, Any]]:
    """Run all checks concurrently; a check past the deadline is reported as failing."""
    started = time.monotonic()
    futures = {name: _POOL.submit(_timed, check) for name, check in checks.items()}
    results: dict[str, dict[str, Any]] = {}
    for name, future in futures.items():
        remaining = max(0.0, timeout_s - (time.monotonic() - started))
        try:
            detail, took = future.result(timeout=remaining)
            results[name] = {"status": "ok", "detail": detail, "latency_ms": took}
        except FutureTimeout:
            results[name] = {"status": "failing", "detail": f"no answer within {timeout_s}s"}
        except Exception as exc:  # noqa: BLE001 - every probe failure is reported, none escapes
            results[name] = {"status": "failing", "detail": _describe(exc, verbose=verbose)}
    return results


class ReadinessProbe:
    """The checks, run at most once per `ttl_s`: a flood of callers costs one probe each."""

    def __init__(
        self,
        checks: Mapping[str, HealthCheck],
        *,
        ttl_s: float = 1.0,
        timeout_s: float = 1.5,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._checks = checks
        self._ttl_s = ttl_s
        self._timeout_s = timeout_s
        self._now = now
        self._lock = threading.Lock()  # callers during a run wait for it rather than start one
        self._ran_at = -math.inf
        self._results: dict[str, dict[str, Any]] = {}

    def results(self) -> dict[str, dict[str, Any]]:
        """Every check's status, detail and latency (fresh within `ttl_s`)."""
        with self._lock:
            if self._now() - self._ran_at >= self._ttl_s:
                self._results = run_checks(self._checks, self._timeout_s, verbose=True)
                self._ran_at = self._now()
            return self._results


def public_view(results: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    """Only ok/failing per dependency: no hosts, errors or timings for anonymous callers."""
    return {name: {"status": str(result["status"])} for name, result in results.items()}


def may_see_details(token: str | None, authorization: str) -> bool:
    """Whether `Authorization: Bearer <HEALTH_DETAIL_TOKEN>` was sent (constant-time compare)."""
    scheme, _, given = authorization.partition(" ")
    if not token or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


def _timed(check: HealthCheck) -> tuple[str, float]:
    started = time.monotonic()
    detail = check()
    return detail, round((time.monotonic() - started) * 1000, 1)


def _describe(exc: BaseException, *, verbose: bool) -> str:
    # The public endpoint names only the failure class: hosts and URLs stay out of its body.
    text = str(exc).splitlines()[0] if str(exc) else ""
    if verbose and text:
        return f"{type(exc).__name__}: {text[:200]}"
    return type(exc).__name__
