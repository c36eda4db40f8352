"""CodeCheck contract: the in-memory composition and RedisCodeCheck judge every guess alike."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import NamedTuple

import pytest

from domestyx.adapters.memory.clock import ManualClock
from domestyx.adapters.memory.code_check import InMemoryCodeCheck
from domestyx.adapters.memory.otp_store import InMemoryOtpStore
from domestyx.adapters.memory.rate_limiter import InMemoryFailureCounter
from domestyx.domain.model.lockouts import LockoutPolicy
from domestyx.domain.model.otp import CheckStatus, CodeLockout
from domestyx.ports.otp_store import CodeCheck, OtpStore
from domestyx.ports.rate_limiter import FailureCounter

POLICY = LockoutPolicy(max_failures=8, free_failures=3, base_delay=timedelta(seconds=2))
LOCKOUT = CodeLockout("a1", "acct:a1", "known:acct:a1:net:n1", POLICY)


class Parts(NamedTuple):
    """The check and the store and counter whose keys it shares."""

    check: CodeCheck
    store: OtpStore
    failures: FailureCounter


@pytest.fixture(params=["memory", "redis"])
def parts(request: pytest.FixtureRequest) -> Parts:
    """Each implementation over its own store and failure counter."""
    if request.param == "memory":
        store, failures = InMemoryOtpStore(), InMemoryFailureCounter()
        return Parts(InMemoryCodeCheck(store, failures), store, failures)
    from domestyx.adapters.redis.code_check import RedisCodeCheck
    from domestyx.adapters.redis.otp_store import RedisOtpStore
    from domestyx.adapters.redis.rate_limiter import RedisFailureCounter

    client = request.getfixturevalue("redis_client")
    return Parts(RedisCodeCheck(client), RedisOtpStore(client), RedisFailureCounter(client))


def _issue(p: Parts, clock: ManualClock, code_hash: str = "h1", account: str | None = "a1") -> None:
    p.store.issue(
        "slot",
        code_hash,
        account_id=account,
        now=clock.now(),
        valid_for=timedelta(minutes=10),
        cooldown=timedelta(seconds=60),
        max_attempts=5,
    )


def _check(p: Parts, clock: ManualClock, cand: str | None, lockout: CodeLockout | None = LOCKOUT):
    return p.check.check("slot", cand, now=clock.now(), max_attempts=5, lockout=lockout)


def _tally(p: Parts, clock: ManualClock, key: str = "acct:a1", window: timedelta = POLICY.window):
    return p.failures.tally(key, now=clock.now(), window=window).count


class TestCodeCheckContract:
    """One behaviour per test, for every implementation."""

    def test_the_right_code_matches_once_and_remembers_the_network(
        self, parts: Parts, clock: ManualClock
    ) -> None:
        _issue(parts, clock)
        outcome = _check(parts, clock, "h1")
        assert (outcome.status, outcome.bound_to, outcome.counted) == (
            CheckStatus.MATCHED,
            "a1",
            False,
        )
        assert _check(parts, clock, "h1").status is CheckStatus.MISSING  # single use
        assert _tally(parts, clock, LOCKOUT.known_key, POLICY.known_for) == 1

    def test_a_wrong_code_counts_against_the_code_and_its_own_account(
        self, parts: Parts, clock: ManualClock
    ) -> None:
        _issue(parts, clock)
        outcome = _check(parts, clock, "nope")
        assert (outcome.status, outcome.bound_to, outcome.failures) == (CheckStatus.WRONG, "a1", 1)
        assert _tally(parts, clock) == 1
        attempt = parts.store.register_attempt("slot", now=clock.now(), max_attempts=5)
        assert attempt.attempts == 2  # the check's attempt, then this one

    def test_a_guess_at_another_accounts_code_never_touches_this_lockout(
        self, parts: Parts, clock: ManualClock
    ) -> None:
        _issue(parts, clock, account="someone-else")
        outcome = _check(parts, clock, "nope")
        assert (outcome.status, outcome.bound_to, outcome.counted) == (
            CheckStatus.WRONG,
            "someone-else",
            False,
        )
        assert _check(parts, clock, "h1").status is CheckStatus.MATCHED
        assert _tally(parts, clock) == 0
        assert _tally(parts, clock, LOCKOUT.known_key, POLICY.known_for) == 0

    def test_an_unbound_code_and_no_lockout_count_nothing_but_the_code(
        self, parts: Parts, clock: ManualClock
    ) -> None:
        _issue(parts, clock, account=None)
        assert _check(parts, clock, "nope", None).bound_to is None
        outcome = _check(parts, clock, "h1", None)
        assert (outcome.status, outcome.bound_to) == (CheckStatus.MATCHED, None)

    def test_missing_malformed_and_expired_are_missing_and_count_nothing(
        self, parts: Parts, clock: ManualClock
    ) -> None:
        assert _check(parts, clock, "h1").status is CheckStatus.MISSING
        _issue(parts, clock)
        assert _check(parts, clock, None).status is CheckStatus.MISSING
        attempt = parts.store.register_attempt("slot", now=clock.now(), max_attempts=5)
        assert attempt.attempts == 1  # the malformed guess counted no attempt
        clock.advance(601)
        assert _check(parts, clock, "h1").status is CheckStatus.MISSING
        assert _tally(parts, clock) == 0

    def test_the_code_cap_exhausts_the_code_even_for_the_right_guess(
        self, parts: Parts, clock: ManualClock
    ) -> None:
        _issue(parts, clock, account="other")  # another's code: the lockout stays out of it
        for _ in range(5):
            assert _check(parts, clock, "nope").status is CheckStatus.WRONG
        outcome = _check(parts, clock, "h1")
        assert outcome.status is CheckStatus.EXHAUSTED
        assert outcome.retry_after == 600

    def test_the_rising_delay_refuses_before_any_attempt_is_counted(
        self, parts: Parts, clock: ManualClock
    ) -> None:
        for _ in range(3):
            parts.failures.add("acct:a1", now=clock.now(), window=POLICY.window)
        _issue(parts, clock)
        outcome = _check(parts, clock, "h1")
        assert (outcome.status, outcome.policy, outcome.retry_after) == (
            CheckStatus.LOCKED_OUT,
            "sign-in-delay",
            2,  # base_delay after free_failures
        )
        attempt = parts.store.register_attempt("slot", now=clock.now(), max_attempts=5)
        assert attempt.attempts == 1
        clock.advance(2)
        assert _check(parts, clock, "h1").status is CheckStatus.MATCHED
        assert _tally(parts, clock) == 0  # a success clears the account's failures

    @pytest.mark.parametrize("failures", [3, 4, 5, 6, 7])
    def test_the_delay_doubles_up_to_its_maximum(
        self, parts: Parts, clock: ManualClock, failures: int
    ) -> None:
        for _ in range(failures):
            parts.failures.add("acct:a1", now=clock.now(), window=POLICY.window)
        outcome = _check(parts, clock, "h1")
        expected = int(POLICY.delay_after(failures).total_seconds())
        assert (outcome.status, outcome.retry_after) == (CheckStatus.LOCKED_OUT, expected)

    def test_the_cap_locks_the_account_for_the_window(
        self, parts: Parts, clock: ManualClock
    ) -> None:
        for _ in range(8):
            parts.failures.add("acct:a1", now=clock.now(), window=POLICY.window)
        clock.advance(3600)
        outcome = _check(parts, clock, "h1")
        assert (outcome.status, outcome.policy, outcome.retry_after) == (
            CheckStatus.LOCKED_OUT,
            "account-lockout",
            23 * 3600,
        )

    def test_the_failure_reaching_the_cap_reports_the_tally(
        self, parts: Parts, clock: ManualClock
    ) -> None:
        policy = LockoutPolicy(max_failures=2, free_failures=5)
        lockout = CodeLockout("a1", "acct:a1", "known", policy)
        _issue(parts, clock)
        assert _check(parts, clock, "x", lockout).failures == 1
        assert _check(parts, clock, "y", lockout).failures == 2
        assert _check(parts, clock, "h1", lockout).status is CheckStatus.LOCKED_OUT

    def test_concurrent_right_guesses_match_exactly_once(
        self, parts: Parts, clock: ManualClock
    ) -> None:
        _issue(parts, clock)
        results: list[CheckStatus] = []
        threads = [
            threading.Thread(target=lambda: results.append(_check(parts, clock, "h1").status))
            for _ in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results.count(CheckStatus.MATCHED) == 1
        assert set(results) == {CheckStatus.MATCHED, CheckStatus.MISSING}
