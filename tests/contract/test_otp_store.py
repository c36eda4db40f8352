"""OtpStore contract: the in-memory fake and RedisOtpStore behave the same."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from domestyx.adapters.memory.clock import ManualClock
from domestyx.adapters.memory.otp_store import InMemoryOtpStore
from domestyx.domain.model.otp import AttemptStatus, IssueStatus
from domestyx.ports.otp_store import OtpStore

VALID = timedelta(minutes=10)
COOLDOWN = timedelta(seconds=60)


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> OtpStore:
    """Each implementation under the same tests."""
    if request.param == "memory":
        return InMemoryOtpStore()
    from domestyx.adapters.redis.otp_store import RedisOtpStore

    return RedisOtpStore(request.getfixturevalue("redis_client"))


def _issue(store: OtpStore, clock: ManualClock, code_hash: str = "h1", account: str | None = "a1"):
    return store.issue(
        "slot",
        code_hash,
        account_id=account,
        now=clock.now(),
        valid_for=VALID,
        cooldown=COOLDOWN,
        max_attempts=5,
    )


class TestOtpStoreContract:
    """One behaviour per test, for every implementation."""

    def test_issue_then_attempt_returns_the_challenge(
        self, store: OtpStore, clock: ManualClock
    ) -> None:
        assert _issue(store, clock).status is IssueStatus.ISSUED
        attempt = store.register_attempt("slot", now=clock.now(), max_attempts=5)
        assert attempt.status is AttemptStatus.COUNTED
        assert (attempt.code_hash, attempt.account_id, attempt.attempts) == ("h1", "a1", 1)

    def test_missing_slot_reports_missing(self, store: OtpStore, clock: ManualClock) -> None:
        assert (
            store.register_attempt("nope", now=clock.now(), max_attempts=5).status
            is AttemptStatus.MISSING
        )

    def test_resend_within_cooldown_is_refused(self, store: OtpStore, clock: ManualClock) -> None:
        _issue(store, clock)
        clock.advance(30)
        outcome = _issue(store, clock, "h2")
        assert outcome.status is IssueStatus.COOLDOWN
        assert outcome.retry_after == 30
        assert store.cooldown_remaining("slot", now=clock.now(), cooldown=COOLDOWN) == 30

    def test_resend_after_cooldown_replaces_code_and_keeps_attempts(
        self, store: OtpStore, clock: ManualClock
    ) -> None:
        _issue(store, clock)
        for _ in range(3):
            store.register_attempt("slot", now=clock.now(), max_attempts=5)
        clock.advance(61)
        assert _issue(store, clock, "h2").status is IssueStatus.ISSUED
        attempt = store.register_attempt("slot", now=clock.now(), max_attempts=5)
        assert (attempt.code_hash, attempt.attempts) == ("h2", 4)

    def test_attempts_past_the_cap_lock_the_slot(self, store: OtpStore, clock: ManualClock) -> None:
        _issue(store, clock)
        for _ in range(5):
            assert (
                store.register_attempt("slot", now=clock.now(), max_attempts=5).status
                is AttemptStatus.COUNTED
            )
        locked = store.register_attempt("slot", now=clock.now(), max_attempts=5)
        assert locked.status is AttemptStatus.LOCKED
        assert locked.retry_after == 600

    def test_locked_slot_refuses_resend_until_it_expires(
        self, store: OtpStore, clock: ManualClock
    ) -> None:
        _issue(store, clock)
        for _ in range(5):
            store.register_attempt("slot", now=clock.now(), max_attempts=5)
        clock.advance(120)
        assert _issue(store, clock, "h2").status is IssueStatus.LOCKED
        clock.advance(VALID)
        assert _issue(store, clock, "h3").status is IssueStatus.ISSUED

    def test_expired_challenge_is_missing(self, store: OtpStore, clock: ManualClock) -> None:
        _issue(store, clock)
        clock.advance(VALID)
        assert (
            store.register_attempt("slot", now=clock.now(), max_attempts=5).status
            is AttemptStatus.MISSING
        )

    def test_consume_succeeds_once_and_only_for_the_current_code(
        self, store: OtpStore, clock: ManualClock
    ) -> None:
        _issue(store, clock)
        assert not store.consume("slot", "other")
        assert store.consume("slot", "h1")
        assert not store.consume("slot", "h1")

    def test_concurrent_attempts_never_exceed_the_cap(
        self, store: OtpStore, clock: ManualClock
    ) -> None:
        _issue(store, clock)
        results: list[AttemptStatus] = []
        lock = threading.Lock()

        def guess() -> None:
            outcome = store.register_attempt("slot", now=clock.now(), max_attempts=5)
            with lock:
                results.append(outcome.status)

        threads = [threading.Thread(target=guess) for _ in range(40)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results.count(AttemptStatus.COUNTED) == 5
        assert results.count(AttemptStatus.LOCKED) == 35


def test_redis_ttl_reclaims_the_slot_in_real_time(redis_client: object) -> None:
    """With a 1 s validity the key itself disappears from Redis."""
    from domestyx.adapters.redis.otp_store import RedisOtpStore

    store = RedisOtpStore(redis_client)  # type: ignore[arg-type]
    now = datetime.now(UTC)
    store.issue(
        "ttl",
        "h",
        account_id=None,
        now=now,
        valid_for=timedelta(seconds=1),
        cooldown=COOLDOWN,
        max_attempts=5,
    )
    assert redis_client.exists("dx:otp:ttl") == 1  # type: ignore[attr-defined]
    time.sleep(1.2)
    assert redis_client.exists("dx:otp:ttl") == 0  # type: ignore[attr-defined]


class TestHolds:
    """`holds` tells the worker whether a queued code would still verify."""

    def test_holds_the_issued_code_only(self, store: OtpStore, clock: ManualClock) -> None:
        _issue(store, clock)
        assert store.holds("slot", "h1", now=clock.now())
        assert not store.holds("slot", "h2", now=clock.now())
        assert not store.holds("other", "h1", now=clock.now())

    def test_holds_counts_no_attempt(self, store: OtpStore, clock: ManualClock) -> None:
        _issue(store, clock)
        for _ in range(10):
            store.holds("slot", "h1", now=clock.now())
        attempt = store.register_attempt("slot", now=clock.now(), max_attempts=5)
        assert attempt.attempts == 1

    def test_a_replaced_expired_or_consumed_code_is_not_held(
        self, store: OtpStore, clock: ManualClock
    ) -> None:
        _issue(store, clock)
        clock.advance(61)
        _issue(store, clock, "h2")
        assert not store.holds("slot", "h1", now=clock.now())
        assert store.holds("slot", "h2", now=clock.now())
        assert store.consume("slot", "h2")
        assert not store.holds("slot", "h2", now=clock.now())

    def test_an_expired_code_is_not_held(self, store: OtpStore, clock: ManualClock) -> None:
        _issue(store, clock)
        clock.advance(VALID)
        assert not store.holds("slot", "h1", now=clock.now())
