"""ReplayGuard contract: the in-memory fake and RedisReplayGuard (SET NX EX) behave the same."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from domestyx.adapters.memory.clock import ManualClock
from domestyx.adapters.memory.replay_guard import InMemoryReplayGuard
from domestyx.ports.replay_guard import ReplayGuard

WINDOW = timedelta(minutes=10)


@pytest.fixture(params=["memory", "redis"])
def guard(request: pytest.FixtureRequest) -> ReplayGuard:
    """Each implementation under the same tests."""
    if request.param == "memory":
        return InMemoryReplayGuard()
    from domestyx.adapters.redis.replay_guard import RedisReplayGuard

    return RedisReplayGuard(request.getfixturevalue("redis_client"))


def test_the_first_claim_wins_and_later_ones_are_replays(
    guard: ReplayGuard, clock: ManualClock
) -> None:
    assert guard.claim("resend:msg_1", now=clock.now(), window=WINDOW) is True
    assert guard.claim("resend:msg_1", now=clock.now(), window=WINDOW) is False
    clock.advance(60)
    assert guard.claim("resend:msg_1", now=clock.now(), window=WINDOW) is False


def test_keys_are_independent(guard: ReplayGuard, clock: ManualClock) -> None:
    assert guard.claim("twilio:SM1:delivered", now=clock.now(), window=WINDOW)
    assert guard.claim("twilio:SM1:failed", now=clock.now(), window=WINDOW)
    assert guard.claim("resend:SM1:delivered", now=clock.now(), window=WINDOW)


def test_a_released_claim_can_be_claimed_again(guard: ReplayGuard, clock: ManualClock) -> None:
    assert guard.claim("k", now=clock.now(), window=WINDOW)
    guard.release("k")
    assert guard.claim("k", now=clock.now(), window=WINDOW)
    guard.release("never-claimed")  # no error


def test_a_claim_is_forgotten_after_its_window(guard: ReplayGuard, clock: ManualClock) -> None:
    assert guard.claim("k", now=clock.now(), window=timedelta(seconds=1))
    clock.advance(1.2)
    time.sleep(1.2)  # Redis keeps its own time
    assert guard.claim("k", now=clock.now(), window=timedelta(seconds=1))


def test_concurrent_claims_of_one_key_have_one_winner(
    guard: ReplayGuard, clock: ManualClock
) -> None:
    with ThreadPoolExecutor(16) as pool:
        wins = list(pool.map(lambda _: guard.claim("k", now=clock.now(), window=WINDOW), range(64)))
    assert wins.count(True) == 1
