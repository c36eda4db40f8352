"""RateLimiter, FailureCounter, GuardCounters contract: fakes and Redis agree, never over-admit."""

from __future__ import annotations

import threading
from datetime import timedelta

import attrs
import pytest

from domestyx.adapters.memory.clock import ManualClock
from domestyx.adapters.memory.guard_counters import InMemoryGuardCounters
from domestyx.adapters.memory.otp_store import InMemoryOtpStore
from domestyx.adapters.memory.rate_limiter import InMemoryFailureCounter, InMemoryRateLimiter
from domestyx.domain.model.rate_limits import RateRule
from domestyx.ports.otp_store import OtpStore
from domestyx.ports.rate_limiter import FailureCounter, GuardCounters, RateLimiter

MINUTE = timedelta(minutes=1)


@pytest.fixture(params=["memory", "redis"])
def limiter(request: pytest.FixtureRequest) -> RateLimiter:
    """Each implementation."""
    if request.param == "memory":
        return InMemoryRateLimiter()
    from domestyx.adapters.redis.rate_limiter import RedisRateLimiter

    return RedisRateLimiter(request.getfixturevalue("redis_client"))


@pytest.fixture(params=["memory", "redis"])
def failures(request: pytest.FixtureRequest) -> FailureCounter:
    """Each implementation."""
    if request.param == "memory":
        return InMemoryFailureCounter()
    from domestyx.adapters.redis.rate_limiter import RedisFailureCounter

    return RedisFailureCounter(request.getfixturevalue("redis_client"))


def rule(key: str = "k", limit: int = 3, window: timedelta = MINUTE) -> RateRule:
    return RateRule(name=f"r.{key}", key=key, limit=limit, window=window)


class TestRateLimiterContract:
    def test_allows_up_to_the_limit_then_refuses(
        self, limiter: RateLimiter, clock: ManualClock
    ) -> None:
        verdicts = [limiter.hit([rule()], now=clock.now()).allowed for _ in range(5)]
        assert verdicts == [True, True, True, False, False]

    def test_a_gate_rule_is_checked_but_never_counted(
        self, limiter: RateLimiter, clock: ManualClock
    ) -> None:
        gate = attrs.evolve(rule("gate", limit=2), spend=False)
        counted = [limiter.hit([gate, rule(f"other-{i}")], now=clock.now()) for i in range(10)]
        assert all(d.allowed for d in counted)  # ten decisions through a gate of two
        limiter.hit([rule("gate", limit=2)], now=clock.now())  # two real spends on that key
        limiter.hit([rule("gate", limit=2)], now=clock.now())
        refused = limiter.hit([gate, rule("fresh")], now=clock.now())
        assert (refused.allowed, refused.rule) == (False, "r.gate")
        assert limiter.hit([rule("fresh", limit=1)], now=clock.now()).allowed  # nothing counted

    def test_a_refusal_is_sampled_for_audit_once_per_period_under_its_rules_key(
        self, limiter: RateLimiter, clock: ManualClock
    ) -> None:
        rules, audit = [rule("a", limit=5), rule("b", limit=1)], ["audit:a", "audit:b"]
        first = limiter.hit(rules, now=clock.now(), audit_keys=audit)
        assert (first.allowed, first.audit) == (True, False)  # an admitted hit is never audited
        refusals = [limiter.hit(rules, now=clock.now(), audit_keys=audit) for _ in range(3)]
        assert [(d.allowed, d.rule, d.audit) for d in refusals] == [
            (False, "r.b", True),
            (False, "r.b", False),
            (False, "r.b", False),
        ]
        assert limiter.hit([rule("c", limit=1)], now=clock.now()).allowed  # no audit key: none
        clock.advance(61)
        assert limiter.hit(
            [rule("b", limit=1, window=timedelta(hours=1))], now=clock.now(), audit_keys=["audit:b"]
        ).audit
        assert limiter.hit([rule("a", limit=4)], now=clock.now()).allowed  # a counted only once

    def test_a_refusal_without_audit_keys_is_not_audited(
        self, limiter: RateLimiter, clock: ManualClock
    ) -> None:
        limiter.hit([rule(limit=1)], now=clock.now())
        assert limiter.hit([rule(limit=1)], now=clock.now()).audit is False

    def test_remaining_counts_down(self, limiter: RateLimiter, clock: ManualClock) -> None:
        remaining = [limiter.hit([rule()], now=clock.now()).remaining for _ in range(3)]
        assert remaining == [2, 1, 0]

    def test_refusal_says_when_to_retry(self, limiter: RateLimiter, clock: ManualClock) -> None:
        limiter.hit([rule(limit=1)], now=clock.now())
        clock.advance(20)
        decision = limiter.hit([rule(limit=1)], now=clock.now())
        assert not decision.allowed
        assert decision.retry_after == 40
        assert decision.rule == "r.k"

    def test_window_slides(self, limiter: RateLimiter, clock: ManualClock) -> None:
        limiter.hit([rule(limit=2)], now=clock.now())
        clock.advance(30)
        limiter.hit([rule(limit=2)], now=clock.now())
        clock.advance(31)  # the first hit has left the window, the second has not
        assert limiter.hit([rule(limit=2)], now=clock.now()).allowed
        assert not limiter.hit([rule(limit=2)], now=clock.now()).allowed

    def test_refused_decision_counts_on_no_rule(
        self, limiter: RateLimiter, clock: ManualClock
    ) -> None:
        limiter.hit([rule("full", limit=1)], now=clock.now())
        for _ in range(3):
            assert not limiter.hit(
                [rule("open", limit=2), rule("full", limit=1)], now=clock.now()
            ).allowed
        assert limiter.hit([rule("open", limit=2)], now=clock.now()).remaining == 1

    def test_tightest_rule_describes_an_allowed_decision(
        self, limiter: RateLimiter, clock: ManualClock
    ) -> None:
        decision = limiter.hit([rule("wide", limit=100), rule("narrow", limit=2)], now=clock.now())
        assert (decision.rule, decision.limit, decision.remaining) == ("r.narrow", 2, 1)

    def test_keys_are_independent(self, limiter: RateLimiter, clock: ManualClock) -> None:
        limiter.hit([rule("a", limit=1)], now=clock.now())
        assert limiter.hit([rule("b", limit=1)], now=clock.now()).allowed

    def test_reset_forgets(self, limiter: RateLimiter, clock: ManualClock) -> None:
        limiter.hit([rule(limit=1)], now=clock.now())
        limiter.reset("k")
        assert limiter.hit([rule(limit=1)], now=clock.now()).allowed

    def test_reset_prefix_forgets_only_that_prefix_literally(
        self, limiter: RateLimiter, clock: ManualClock
    ) -> None:
        for key in ("rl:a", "rl:b", "rlx", "notice:a", "r*:c"):
            limiter.hit([rule(key, limit=1)], now=clock.now())
        assert limiter.reset_prefix("rl:") == 2
        assert limiter.reset_prefix("r*") == 1  # a glob character is matched as itself
        assert limiter.hit([rule("rl:a", limit=1)], now=clock.now()).allowed
        assert limiter.hit([rule("r*:c", limit=1)], now=clock.now()).allowed
        assert not limiter.hit([rule("rlx", limit=1)], now=clock.now()).allowed
        assert not limiter.hit([rule("notice:a", limit=1)], now=clock.now()).allowed
        assert limiter.reset_prefix("rl:") == 1  # rl:a again, just counted

    def test_concurrent_callers_never_exceed_the_limit(
        self, limiter: RateLimiter, clock: ManualClock
    ) -> None:
        allowed: list[bool] = []
        lock = threading.Lock()

        def worker() -> None:
            for _ in range(25):
                verdict = limiter.hit([rule("hot", limit=37)], now=clock.now()).allowed
                with lock:
                    allowed.append(verdict)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert allowed.count(True) == 37
        assert len(allowed) == 200


class TestFailureCounterContract:
    def test_counts_inside_the_window(self, failures: FailureCounter, clock: ManualClock) -> None:
        for _ in range(3):
            failures.add("acct", now=clock.now(), window=MINUTE)
        tally = failures.tally("acct", now=clock.now(), window=MINUTE)
        assert tally.count == 3
        assert tally.last_at == clock.now()

    def test_old_failures_roll_off(self, failures: FailureCounter, clock: ManualClock) -> None:
        failures.add("acct", now=clock.now(), window=MINUTE)
        clock.advance(61)
        assert failures.tally("acct", now=clock.now(), window=MINUTE).count == 0

    def test_clear_resets(self, failures: FailureCounter, clock: ManualClock) -> None:
        failures.add("acct", now=clock.now(), window=MINUTE)
        failures.clear("acct")
        assert failures.tally("acct", now=clock.now(), window=MINUTE).last_at is None

    def test_clear_prefix_forgets_every_tally_under_it(
        self, failures: FailureCounter, clock: ManualClock
    ) -> None:
        for key in ("login:a", "login:b", "mfa:a"):
            failures.add(key, now=clock.now(), window=MINUTE)
        assert failures.clear_prefix("login:") == 2
        assert failures.tally("login:a", now=clock.now(), window=MINUTE).count == 0
        assert failures.tally("mfa:a", now=clock.now(), window=MINUTE).count == 1
        assert failures.clear_prefix("") == 1
        assert failures.tally("mfa:a", now=clock.now(), window=MINUTE).count == 0


Counters = tuple[GuardCounters, RateLimiter, FailureCounter, OtpStore]


@pytest.fixture(params=["memory", "redis"])
def counters(request: pytest.FixtureRequest) -> Counters:
    """Each implementation, with the limiter, counter and code store whose keys it shares."""
    if request.param == "memory":
        limiter, failures, store = (
            InMemoryRateLimiter(),
            InMemoryFailureCounter(),
            InMemoryOtpStore(),
        )
        return InMemoryGuardCounters(limiter, failures, store), limiter, failures, store
    from domestyx.adapters.redis.otp_store import RedisOtpStore
    from domestyx.adapters.redis.rate_limiter import RedisFailureCounter, RedisRateLimiter

    client = request.getfixturevalue("redis_client")
    limiter = RedisRateLimiter(client)
    return limiter, limiter, RedisFailureCounter(client), RedisOtpStore(client)


class TestGuardCountersContract:
    def test_tallies_and_the_decision_agree_with_the_two_ports(
        self, counters: Counters, clock: ManualClock
    ) -> None:
        both, limiter, failures, _ = counters
        failures.add("f1", now=clock.now(), window=MINUTE)
        clock.advance(5)
        failures.add("f1", now=clock.now(), window=MINUTE)
        reading = both.hit_and_tally(
            [rule(limit=1)], now=clock.now(), tallies=[("f1", MINUTE), ("f2", MINUTE)]
        )
        f1, f2 = reading.tallies
        assert reading.decision.allowed
        assert (f1.count, f1.last_at, f2.count, f2.last_at) == (2, clock.now(), 0, None)
        assert not limiter.hit([rule(limit=1)], now=clock.now()).allowed  # the hit counted
        refused = both.hit_and_tally(
            [rule(limit=1)], now=clock.now(), tallies=[("f1", MINUTE)], audit_keys=["audit:k"]
        )
        decision, (again,) = refused.decision, refused.tallies
        assert (decision.allowed, decision.audit, again.count) == (False, True, 2)

    def test_tallies_alone_and_windows(self, counters: Counters, clock: ManualClock) -> None:
        both, _, failures, _ = counters
        failures.add("f", now=clock.now(), window=MINUTE)
        clock.advance(61)
        reading = both.hit_and_tally([], now=clock.now(), tallies=[("f", MINUTE)])
        assert reading.decision.allowed
        assert [t.count for t in reading.tallies] == [0]

    def test_a_slot_in_its_resend_cooldown_stops_everything_else(
        self, counters: Counters, clock: ManualClock
    ) -> None:
        both, limiter, _, store = counters
        wait = timedelta(seconds=60)
        assert both.hit_and_tally([rule(limit=1)], now=clock.now(), cooldown=("s", wait)).decision
        limiter.reset("k")
        store.issue(
            "s",
            "h",
            account_id=None,
            now=clock.now(),
            valid_for=timedelta(minutes=10),
            cooldown=wait,
            max_attempts=5,
        )
        clock.advance(15)
        held = both.hit_and_tally([rule(limit=1)], now=clock.now(), cooldown=("s", wait))
        assert held.cooldown == 45
        assert limiter.hit([rule(limit=1)], now=clock.now()).allowed  # nothing was counted
        clock.advance(45)
        limiter.reset("k")
        after = both.hit_and_tally([rule(limit=1)], now=clock.now(), cooldown=("s", wait))
        assert (after.cooldown, after.decision.allowed) == (0, True)
