"""In-memory sliding-log limiter and failure counter, same semantics as the Redis scripts."""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from domestyx.domain.model.rate_limits import FailureTally, RateDecision, RateRule


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _ceil_s(ms: int) -> int:
    return max(1, math.ceil(ms / 1000))


class InMemoryRateLimiter:
    """All-or-nothing over the rules of one decision, under one lock."""

    def __init__(self) -> None:
        self._logs: dict[str, deque[int]] = {}
        self._lock = threading.Lock()

    def hit(
        self,
        rules: Sequence[RateRule],
        *,
        now: datetime,
        audit_keys: Sequence[str] = (),
        audit_every: timedelta = timedelta(minutes=1),
    ) -> RateDecision:
        """Count a hit everywhere or nowhere; a refusal is sampled for audit in the same step."""
        if audit_keys and len(audit_keys) != len(rules):
            raise ValueError("one audit key per rule")
        now_ms = _ms(now)
        with self._lock:
            verdicts = []
            for rule in rules:
                log = self._logs.setdefault(rule.key, deque())
                window_ms = int(rule.window.total_seconds() * 1000)
                while log and log[0] <= now_ms - window_ms:
                    log.popleft()
                verdicts.append((rule, log, window_ms))
            denied = [(r, lg, w) for r, lg, w in verdicts if len(lg) >= r.limit]
            if denied:
                rule, log, window_ms = max(denied, key=lambda v: v[1][0] + v[2] if v[1] else 0)
                wait = (log[0] + window_ms - now_ms) if log else window_ms
                audit = bool(audit_keys) and self._sample(
                    audit_keys[rules.index(rule)], now_ms, audit_every
                )
                return RateDecision(
                    False, rule.limit, 0, _ceil_s(wait), _ceil_s(wait), rule.name, audit
                )
            for rule, log, _ in verdicts:
                if rule.spend:
                    log.append(now_ms)
            return _tightest(verdicts, now_ms)

    def _sample(self, key: str, now_ms: int, every: timedelta) -> bool:
        """Once per `every` under `key` (the caller holds the lock)."""
        log = self._logs.setdefault(key, deque())
        every_ms = int(every.total_seconds() * 1000)
        while log and log[0] <= now_ms - every_ms:
            log.popleft()
        if log:
            return False
        log.append(now_ms)
        return True

    def reset(self, key: str) -> None:
        """Forget a key."""
        with self._lock:
            self._logs.pop(key, None)

    def reset_prefix(self, prefix: str) -> int:
        """Forget every key under a prefix."""
        with self._lock:
            return _forget(self._logs, prefix)


def _forget(logs: dict[str, Any], prefix: str) -> int:
    """Drop the keys under `prefix`; count those that held anything (a tally leaves empties)."""
    doomed = [key for key in logs if key.startswith(prefix)]
    held = sum(1 for key in doomed if logs[key])
    for key in doomed:
        del logs[key]
    return held


def _tightest(verdicts: list[tuple[RateRule, deque[int], int]], now_ms: int) -> RateDecision:
    if not verdicts:
        return RateDecision(True, 0, 0, 0)
    rule, log, window_ms = min(verdicts, key=lambda v: v[0].limit - len(v[1]))
    reset = log[0] + window_ms - now_ms if log else window_ms
    return RateDecision(True, rule.limit, rule.limit - len(log), _ceil_s(reset), 0, rule.name)


class InMemoryFailureCounter:
    """Rolling failure log per key."""

    def __init__(self) -> None:
        self._logs: dict[str, list[datetime]] = {}
        self._lock = threading.Lock()

    def _trim(self, key: str, now: datetime, window: timedelta) -> list[datetime]:
        log = [t for t in self._logs.get(key, []) if t > now - window]
        self._logs[key] = log
        return log

    def add(self, key: str, *, now: datetime, window: timedelta) -> FailureTally:
        """Record and tally."""
        with self._lock:
            log = self._trim(key, now, window)
            log.append(now)
            return FailureTally(len(log), now)

    def tally(self, key: str, *, now: datetime, window: timedelta) -> FailureTally:
        """Tally only."""
        with self._lock:
            log = self._trim(key, now, window)
            return FailureTally(len(log), log[-1] if log else None)

    def clear(self, key: str) -> None:
        """Forget."""
        with self._lock:
            self._logs.pop(key, None)

    def clear_prefix(self, prefix: str) -> int:
        """Forget every key under a prefix."""
        with self._lock:
            return _forget(self._logs, prefix)
