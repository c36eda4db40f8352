"""DeliveryPauses contract: the in-memory fake and RedisDeliveryPauses (Lua) behave the same."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from domestyx.adapters.memory.clock import ManualClock
from domestyx.adapters.memory.pauses import InMemoryDeliveryPauses
from domestyx.domain.model.otp import Channel
from domestyx.domain.model.pauses import ChannelPause
from domestyx.ports.messaging import DeliveryPauses

QUOTA = "quota:daily"


@pytest.fixture(params=["memory", "redis"])
def pauses(request: pytest.FixtureRequest) -> DeliveryPauses:
    """Each implementation under the same tests."""
    if request.param == "memory":
        return InMemoryDeliveryPauses()
    from domestyx.adapters.redis.pauses import RedisDeliveryPauses

    return RedisDeliveryPauses(request.getfixturevalue("redis_client"))


def pause(clock: ManualClock, seconds: float, reason: str = QUOTA) -> ChannelPause:
    return ChannelPause(Channel.EMAIL, clock.now() + timedelta(seconds=seconds), reason)


def test_implements_the_port(pauses: DeliveryPauses) -> None:
    assert isinstance(pauses, DeliveryPauses)


def test_nothing_is_paused_at_first(pauses: DeliveryPauses, clock: ManualClock) -> None:
    assert pauses.current(Channel.EMAIL, now=clock.now()) is None


def test_the_first_pause_starts_one_and_is_in_force(
    pauses: DeliveryPauses, clock: ManualClock
) -> None:
    wanted = pause(clock, 3600)
    assert pauses.pause(wanted, now=clock.now()) is True
    assert pauses.current(Channel.EMAIL, now=clock.now()) == wanted


def test_the_same_reason_again_starts_nothing_new(
    pauses: DeliveryPauses, clock: ManualClock
) -> None:
    pauses.pause(pause(clock, 3600), now=clock.now())
    assert pauses.pause(pause(clock, 3600), now=clock.now()) is False
    assert pauses.pause(pause(clock, 7200), now=clock.now()) is False  # extended, not new


def test_a_pause_is_extended_never_shortened(pauses: DeliveryPauses, clock: ManualClock) -> None:
    long = pause(clock, 7200)
    pauses.pause(long, now=clock.now())
    pauses.pause(pause(clock, 60, "rate_limit"), now=clock.now())
    assert pauses.current(Channel.EMAIL, now=clock.now()) == long


def test_a_quota_after_a_rate_limit_is_a_new_pause(
    pauses: DeliveryPauses, clock: ManualClock
) -> None:
    assert pauses.pause(pause(clock, 2, "rate_limit"), now=clock.now()) is True
    assert pauses.pause(pause(clock, 3600), now=clock.now()) is True
    assert pauses.current(Channel.EMAIL, now=clock.now()).reason == QUOTA  # type: ignore[union-attr]


def test_a_pause_ends_at_its_time(pauses: DeliveryPauses, clock: ManualClock) -> None:
    pauses.pause(pause(clock, 60), now=clock.now())
    clock.advance(59)
    assert pauses.current(Channel.EMAIL, now=clock.now()) is not None
    clock.advance(1)
    assert pauses.current(Channel.EMAIL, now=clock.now()) is None
    assert pauses.pause(pause(clock, 60), now=clock.now()) is True  # a new episode


def test_channels_are_independent(pauses: DeliveryPauses, clock: ManualClock) -> None:
    pauses.pause(pause(clock, 3600), now=clock.now())
    assert pauses.current(Channel.SMS, now=clock.now()) is None


def test_resume_lifts_a_pause(pauses: DeliveryPauses, clock: ManualClock) -> None:
    pauses.pause(pause(clock, 3600), now=clock.now())
    assert pauses.resume(Channel.EMAIL) is True
    assert pauses.current(Channel.EMAIL, now=clock.now()) is None
    assert pauses.resume(Channel.EMAIL) is False


def test_concurrent_pauses_start_exactly_one(pauses: DeliveryPauses, clock: ManualClock) -> None:
    with ThreadPoolExecutor(8) as pool:
        started = list(pool.map(lambda _: pauses.pause(pause(clock, 3600), now=clock.now()),
                                range(16)))  # fmt: skip
    assert started.count(True) == 1


def test_the_time_is_kept_to_the_millisecond(pauses: DeliveryPauses, clock: ManualClock) -> None:
    wanted = pause(clock, 90.25)
    pauses.pause(wanted, now=clock.now())
    found = pauses.current(Channel.EMAIL, now=clock.now())
    assert found is not None and found.until == wanted.until
