"""Sliding-window limiter invariants, for any sequence of hits: never over-admit, all or nothing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domestyx.adapters.memory.rate_limiter import InMemoryRateLimiter
from domestyx.domain.model.rate_limits import RateRule
from domestyx.ports.rate_limiter import RateLimiter

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
# Windows of at least 5 s: the Redis adapter's key TTL runs on real time, the scores on `now`.
RULES = (
    RateRule("ip", "ip", 3, timedelta(seconds=5)),
    RateRule("account", "account", 5, timedelta(seconds=30)),
    RateRule("destination", "destination", 2, timedelta(seconds=12)),
    RateRule("global", "global", 8, timedelta(minutes=1)),
)


@attrs.frozen
class Step:
    """Move the clock, then ask for one decision over some rules."""

    advance_ms: int
    rules: tuple[int, ...]


steps = st.builds(
    Step,
    advance_ms=st.one_of(st.just(0), st.integers(1, 999), st.integers(1_000, 20_000)),
    rules=st.sets(st.integers(0, len(RULES) - 1), min_size=1).map(lambda s: tuple(sorted(s))),
)


@attrs.define
class Trace:
    """What the limiter answered, and what a reference model that counts only admits says."""

    admitted: dict[str, list[int]] = attrs.Factory(lambda: {r.key: [] for r in RULES})
    mismatches: list[str] = attrs.Factory(list)

    def model_allows(self, rules: Sequence[RateRule], now_ms: int) -> bool:
        return all(self.in_window(rule, now_ms) < rule.limit for rule in rules)

    def in_window(self, rule: RateRule, now_ms: int) -> int:
        window_ms = int(rule.window.total_seconds() * 1000)
        return sum(1 for t in self.admitted[rule.key] if now_ms - window_ms < t <= now_ms)


def run(limiter: RateLimiter, sequence: Sequence[Step], prefix: str = "") -> Trace:
    """Replay the steps; record admits per rule and any disagreement with the model."""
    trace, now_ms = Trace(), 0
    for i, step in enumerate(sequence):
        now_ms += step.advance_ms
        rules = [RULES[j] for j in step.rules]
        keyed = [attrs.evolve(r, key=prefix + r.key) for r in rules]
        decision = limiter.hit(keyed, now=START + timedelta(milliseconds=now_ms))
        expected = trace.model_allows(rules, now_ms)
        if decision.allowed != expected:
            trace.mismatches.append(f"step {i}: limiter {decision.allowed}, model {expected}")
        if decision.allowed:
            for rule in rules:
                trace.admitted[rule.key].append(now_ms)
        else:
            full = {r.name for r in rules if trace.in_window(r, now_ms) >= r.limit}
            if decision.rule not in full or decision.retry_after < 1:
                trace.mismatches.append(f"step {i}: refusal {decision} (full: {sorted(full)})")
    return trace


def peak(times: list[int], window_ms: int) -> int:
    """The most admits inside any sliding window (the worst window ends at an admit)."""
    return max((sum(1 for t in times if end - window_ms < t <= end) for end in times), default=0)


def assert_never_over_admits(trace: Trace) -> None:
    for rule in RULES:
        window_ms = int(rule.window.total_seconds() * 1000)
        assert peak(trace.admitted[rule.key], window_ms) <= rule.limit, rule.name


@given(st.lists(steps, max_size=80))
@settings(max_examples=300, deadline=None)
def test_memory_limiter_never_admits_more_than_the_limit_in_any_window(
    sequence: list[Step],
) -> None:
    assert_never_over_admits(run(InMemoryRateLimiter(), sequence))


@given(st.lists(steps, max_size=80))
@settings(max_examples=300, deadline=None)
def test_memory_limiter_counts_a_refused_decision_on_no_rule(sequence: list[Step]) -> None:
    # The model counts a hit on every rule of an admitted decision and on none of a refused one;
    # any refused hit that the limiter counted anyway shows up as a later disagreement.
    assert run(InMemoryRateLimiter(), sequence).mismatches == []


@given(st.lists(steps, max_size=30))
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_redis_limiter_keeps_both_invariants(redis_client: Any, sequence: list[Step]) -> None:
    from domestyx.adapters.redis.rate_limiter import RedisRateLimiter

    # One fresh namespace per example; the fixture flushes the test database afterwards.
    limiter = RedisRateLimiter(redis_client, prefix=f"prop:{uuid.uuid4().hex}:")
    trace = run(limiter, sequence)
    assert trace.mismatches == []
    assert_never_over_admits(trace)


@pytest.mark.parametrize("limit", [1, 2, 5])
def test_a_burst_at_one_instant_admits_exactly_the_limit(limit: int) -> None:
    limiter, rule = InMemoryRateLimiter(), RateRule("r", "r", limit, timedelta(seconds=10))
    verdicts = [limiter.hit([rule], now=START).allowed for _ in range(limit + 3)]
    assert verdicts == [True] * limit + [False] * 3
