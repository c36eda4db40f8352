"""Issue 12: password failures slow the failing client, demand a captcha, and spare the owner."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domestyx.domain.model.audit import AuditEventType, ClientContext
from domestyx.domain.model.errors import (
    AccountLocked,
    CaptchaFailed,
    CaptchaRequired,
    InvalidCredentials,
)
from domestyx.domain.model.lockouts import LockoutPolicy
from domestyx.domain.model.otp import Channel, Purpose
from domestyx.domain.model.sessions import TokenPair
from tests.support.abuse_world import PASSWORD, AbuseWorld

EMAIL, PHONE = "ann@example.com", "+447700900123"
OWNER = ClientContext(ip="203.0.113.5")
CAP = 12


@pytest.fixture
def world() -> AbuseWorld:
    world = AbuseWorld(lockout=LockoutPolicy(max_failures=CAP))
    world.account(EMAIL, PHONE)
    return world


def stranger(i: int) -> ClientContext:
    return ClientContext(ip=f"198.18.{i // 250}.{i % 250 + 1}")


def login(
    world: AbuseWorld,
    ctx: ClientContext,
    password: str = PASSWORD,
    *,
    human: bool = True,
    email: str = EMAIL,
) -> TokenPair:
    token = world.human("login") if human else None
    return world.accounts.login(email, password, by_phone=False, ctx=ctx, token=token)


def answer(
    world: AbuseWorld, ctx: ClientContext, password: str, *, human: bool = True, email: str = EMAIL
) -> str:
    """The problem type a sign-in meets, or 'ok'."""
    try:
        login(world, ctx, password, human=human, email=email)
    except (InvalidCredentials, AccountLocked, CaptchaFailed) as refused:
        return refused.code
    return "ok"


def test_the_failing_client_waits_the_owner_elsewhere_does_not(world: AbuseWorld) -> None:
    noisy = stranger(1)
    answers = [answer(world, noisy, "wrong") for _ in range(7)]
    assert answers == ["invalid-credentials"] * 5 + ["account-locked"] * 2
    assert login(world, OWNER).access_token  # another network: no delay at all
    with pytest.raises(AccountLocked):  # the owner's success on their network frees theirs only
        login(world, noisy, "wrong")


def test_an_ipv6_client_waits_per_64(world: AbuseWorld) -> None:
    for i in range(5):
        assert answer(world, ClientContext(ip=f"2001:db8:1:2::{i + 1}"), "wrong") == (
            "invalid-credentials"
        )
    assert answer(world, ClientContext(ip="2001:db8:1:2::99"), "wrong") == "account-locked"
    assert login(world, ClientContext(ip="2001:db8:1:3::1")).access_token  # another /64


def test_after_five_failures_every_client_must_solve_the_challenge(world: AbuseWorld) -> None:
    assert login(world, OWNER, human=False).access_token  # no token needed on a quiet account
    for i in range(5):
        assert answer(world, stranger(i), "wrong", human=False) == "invalid-credentials"
    with pytest.raises(CaptchaRequired):
        login(world, OWNER, human=False)
    with pytest.raises(CaptchaFailed):
        world.accounts.login(EMAIL, PASSWORD, by_phone=False, ctx=OWNER, token="forged")
    assert login(world, OWNER).access_token  # with a token: in, and the count starts over
    assert login(world, OWNER, human=False).access_token
    [demanded] = world.events(AuditEventType.CAPTCHA_DEMANDED)
    assert (demanded.outcome, demanded.ip) == ("demanded", stranger(4).ip)


def test_the_cap_locks_strangers_out_and_spares_the_owners_proven_network(
    world: AbuseWorld,
) -> None:
    login(world, OWNER)  # the owner signed in from here before
    answers = [answer(world, stranger(i), "wrong") for i in range(CAP + 20)]
    assert answers == ["invalid-credentials"] * CAP + ["account-locked"] * 20
    assert answer(world, stranger(999), PASSWORD) == "account-locked"  # even the right password
    assert login(world, OWNER).access_token  # the owner: straight in
    [locked] = world.events(AuditEventType.LOCKOUT)
    assert (locked.outcome, locked.details) == ("locked", {"counter": "password"})


def test_a_network_proven_by_a_code_is_spared_too(world: AbuseWorld) -> None:
    world.clock.advance(61)
    world.codes.send(Channel.EMAIL, EMAIL, Purpose.LOGIN, OWNER, token=world.human("otp_send"))
    world.codes.verify(Channel.EMAIL, EMAIL, Purpose.LOGIN, world.secrets.issued_codes[-1], OWNER)
    for i in range(CAP):
        answer(world, stranger(i), "wrong")
    assert answer(world, stranger(500), PASSWORD) == "account-locked"
    assert login(world, OWNER).access_token


def test_the_cap_is_a_window_of_consecutive_failures(world: AbuseWorld) -> None:
    for i in range(CAP):
        answer(world, stranger(i), "wrong")
    assert answer(world, stranger(CAP), PASSWORD) == "account-locked"
    world.clock.advance(timedelta(hours=24))
    assert login(world, stranger(CAP)).access_token


def test_an_unknown_identifier_meets_exactly_the_same_rules(world: AbuseWorld) -> None:
    def run(email: str) -> list[str]:
        seen = [answer(world, stranger(i), "wrong", email=email) for i in range(CAP + 2)]
        seen.append(answer(world, stranger(1), "wrong", email=email, human=False))
        return seen

    known, unknown = run(EMAIL), run("nobody@example.com")
    assert known == unknown
    assert known[-1] == "account-locked"


def test_refusals_are_audited_without_flooding(world: AbuseWorld) -> None:
    noisy = stranger(3)
    for _ in range(5):
        answer(world, noisy, "wrong")
    for _ in range(20):
        assert answer(world, noisy, "wrong") == "account-locked"
    events = world.events(AuditEventType.SIGN_IN_THROTTLED)
    assert [e.outcome for e in events] == ["delayed", "refused"]  # the refusals: once a minute
    assert {e.ip for e in events} == {noisy.ip}
    assert len(world.events(AuditEventType.LOGIN_FAILED)) == 5
