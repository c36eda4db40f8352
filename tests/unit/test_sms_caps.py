"""Issue 12: the SMS caps are spent only by messages really sent; every caller sees them alike."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest

from domestyx.domain.model.abuse import AbusePolicy, SmsPolicy
from domestyx.domain.model.audit import ClientContext
from domestyx.domain.model.errors import DomainError, RateLimited, SmsBudgetExhausted
from domestyx.domain.model.otp import Channel, OtpSlot, Purpose
from domestyx.domain.model.rate_limits import RateDecision, RateRule
from tests.support.abuse_world import AbuseWorld

CAP = 3


def ctx(i: int) -> ClientContext:
    return ClientContext(ip=f"198.18.7.{i + 1}")


@pytest.fixture
def world() -> AbuseWorld:
    policy = AbusePolicy(sms=SmsPolicy(("+44", "+1"))).with_overrides(
        {"otp_send_sms.prefix": f"{CAP}/1h", "otp_send_sms.global": "100/1h"}
    )
    return AbuseWorld(policy=policy)


def owner(world: AbuseWorld, i: int) -> str:
    """An account whose email is proven, so an SMS to its phone really goes."""
    phone = f"+4477009{i:05d}"
    world.account(f"member{i}@example.com", phone)
    return phone


def send(world: AbuseWorld, phone: str, i: int) -> str:
    token = world.human("otp_send")
    try:
        world.codes.send(Channel.SMS, phone, Purpose.VERIFY_PHONE, ctx(i), token=token)
    except DomainError as refused:
        return refused.code
    return "202"


def test_sends_nobody_receives_spend_nothing(world: AbuseWorld) -> None:
    answers = [send(world, f"+4477009{50_000 + i:05d}", i) for i in range(200)]
    assert answers == ["202"] * 200
    assert sms_sent(world) == 0  # nothing went out
    real = [send(world, owner(world, i), i) for i in range(CAP)]
    assert real == ["202"] * CAP  # the 200 no-ops spent none of the cap of 3
    assert sms_sent(world) == CAP


def test_an_exhausted_cap_answers_real_and_no_op_sends_alike(world: AbuseWorld) -> None:
    for i in range(CAP):
        send(world, owner(world, i), i)
    real, noop = owner(world, 99), "+447700955555"
    with pytest.raises(RateLimited) as for_real:
        world.codes.send(
            Channel.SMS, real, Purpose.VERIFY_PHONE, ctx(50), token=world.human("otp_send")
        )
    with pytest.raises(RateLimited) as for_noop:
        world.codes.send(
            Channel.SMS, noop, Purpose.VERIFY_PHONE, ctx(51), token=world.human("otp_send")
        )
    assert (for_real.value.code, for_real.value.policy) == (
        for_noop.value.code,
        for_noop.value.policy,
    )
    assert send(world, "+14155550100", 52) == "202"  # another prefix is untouched


def test_a_cap_spent_between_check_and_send_leaves_nothing_behind(world: AbuseWorld) -> None:
    phone = owner(world, 1)
    hit = world.limiter.hit

    def racing(rules: Sequence[RateRule], *, now: datetime, **audit: Any) -> RateDecision:
        if any(r.spend and r.name.startswith("otp_send_sms.prefix") for r in rules):
            for _ in range(CAP):  # concurrent real sends take the whole cap meanwhile
                hit(rules, now=now)
        return hit(rules, now=now, **audit)

    world.limiter.hit = racing  # type: ignore[method-assign]  # a race, staged
    with pytest.raises(RateLimited):
        world.codes.send(
            Channel.SMS, phone, Purpose.VERIFY_PHONE, ctx(2), token=world.human("otp_send")
        )
    assert sms_sent(world) == 0
    key = OtpSlot(Purpose.VERIFY_PHONE, phone).key(world.hasher)
    now, cooldown = world.clock.now(), timedelta(seconds=60)
    assert world.otp_store.cooldown_remaining(key, now=now, cooldown=cooldown) == 0  # no code


def test_the_global_budget_is_a_breaker_for_everyone() -> None:
    policy = AbusePolicy(sms=SmsPolicy(("+44",))).with_overrides({"otp_send_sms.global": "2/1h"})
    world = AbuseWorld(policy=policy)
    for i in range(2):
        assert send(world, owner(world, i), i) == "202"
    assert send(world, "+447700977777", 9) == SmsBudgetExhausted.code
    assert send(world, owner(world, 5), 10) == SmsBudgetExhausted.code
    assert len(world.reporter.messages) == 1


def sms_sent(world: AbuseWorld) -> int:
    """SMS deliveries written to the outbox."""
    return sum(1 for d in world.db.state.deliveries.values() if d.channel is Channel.SMS)
