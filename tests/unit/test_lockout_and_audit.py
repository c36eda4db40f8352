"""Account lockout (rising delay, cap, reset) and the audit trail of the abuse paths."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

import attrs
import pytest

from domestyx.adapters.memory.clock import ManualClock
from domestyx.adapters.memory.randomness import SeededSecretGenerator
from domestyx.domain.model.abuse import Operation
from domestyx.domain.model.accounts import Role
from domestyx.domain.model.audit import AuditEventType, ClientContext
from domestyx.domain.model.errors import (
    AccountLocked,
    CaptchaFailed,
    CodeAttemptsExhausted,
    InvalidCode,
    InvalidCredentials,
    InvalidToken,
    RateLimited,
)
from domestyx.domain.model.lockouts import LockoutPolicy
from domestyx.domain.model.otp import Channel, Purpose
from domestyx.domain.model.sessions import TokenPair
from tests.support.abuse_world import PASSWORD, AbuseWorld
from tests.support.app import DUMMY_TOKEN, build_services, embedded_settings

EMAIL, PHONE = "ann@example.com", "+447700900123"
CTX = ClientContext(ip="198.51.100.4", user_agent="pytest")
CAP = 8


@pytest.fixture
def world() -> AbuseWorld:
    return AbuseWorld(lockout=LockoutPolicy(max_failures=CAP))


def login(
    world: AbuseWorld, password: str = PASSWORD, ctx: ClientContext = CTX, *, human: bool = True
) -> TokenPair:
    """Sign in; the client solves the challenge unless told not to (the web client always does)."""
    token = world.human("login") if human else None
    return world.accounts.login(EMAIL, password, by_phone=False, ctx=ctx, token=token)


def fail_until(world: AbuseWorld, failures: int, ctx: ClientContext = CTX) -> list[int]:
    """Fail sign-in `failures` times, waiting out every delay; returns the waits asked for."""
    waits: list[int] = []
    while failures:
        try:
            login(world, "wrong password", ctx)
        except AccountLocked as locked:
            waits.append(locked.retry_after or 0)
            world.clock.advance(locked.retry_after or 0)
        except InvalidCredentials:
            failures -= 1
    return waits


def test_five_failures_are_free_then_the_delay_doubles(world: AbuseWorld) -> None:
    world.account(EMAIL, PHONE)
    assert fail_until(world, 5) == []
    assert fail_until(world, 3) == [1, 2, 4]


def test_the_delay_holds_for_the_right_password_too(world: AbuseWorld) -> None:
    world.account(EMAIL, PHONE)
    fail_until(world, 6)
    with pytest.raises(AccountLocked) as locked:
        login(world)
    assert locked.value.retry_after == 2
    world.clock.advance(2)
    assert login(world).access_token


def test_the_cap_locks_the_account_for_the_window(world: AbuseWorld) -> None:
    world.account(EMAIL, PHONE)
    fail_until(world, CAP)
    world.clock.advance(world.lockout.max_delay)  # longer than any rising delay
    with pytest.raises(AccountLocked) as locked:
        login(world)
    assert locked.value.retry_after > 23 * 3600
    world.clock.advance(timedelta(hours=24))
    assert login(world).access_token  # the failures left the 24-hour window


def test_a_success_resets_the_count(world: AbuseWorld) -> None:
    world.account(EMAIL, PHONE)
    fail_until(world, 6)
    world.clock.advance(2)
    login(world)
    for key in _keys(world):
        tally = world.failures.tally(key, now=world.clock.now(), window=timedelta(days=1))
        assert (tally.count, tally.last_at) == (0, None)
    assert fail_until(world, 5) == []  # five free failures again


def _account_id(world: AbuseWorld) -> str:
    with world.db() as uow:
        account = uow.accounts.by_email(EMAIL)
    assert account is not None
    return account.id


def _keys(world: AbuseWorld) -> list[str]:
    account = f"login:acct:{_account_id(world)}"
    return [account, f"{account}:net:{CTX.ip}"]


def _not(code: str) -> str:
    """A wrong guess for a code."""
    return f"{(int(code) + 1) % 10 ** len(code):0{len(code)}d}"


def test_the_lockout_is_audited_once(world: AbuseWorld) -> None:
    world.account(EMAIL, PHONE)
    fail_until(world, CAP)
    for _ in range(5):
        world.clock.advance(60)
        with pytest.raises(AccountLocked):
            login(world)
    [event] = world.events(AuditEventType.LOCKOUT)
    assert (event.outcome, event.ip, event.account_id) == ("locked", CTX.ip, _account_id(world))


def test_code_guesses_at_live_codes_lock_the_account_and_the_lockout_is_committed(
    world: AbuseWorld,
) -> None:
    world.account(EMAIL, PHONE, email_verified=False)
    answers = []
    while len(world.events(AuditEventType.LOCKOUT)) < 1:
        real = world.secrets.issued_codes[-1]
        try:
            world.codes.verify(Channel.EMAIL, EMAIL, Purpose.VERIFY_EMAIL, _not(real), CTX)
        except (InvalidCode, CodeAttemptsExhausted, AccountLocked) as exc:
            answers.append(type(exc).__name__)
            world.clock.advance(exc.retry_after or 0)
        if answers[-1] == "CodeAttemptsExhausted":  # this code is spent: the next one
            world.clock.advance(timedelta(minutes=11))
            world.codes.send(
                Channel.EMAIL, EMAIL, Purpose.VERIFY_EMAIL, CTX, token=world.human("otp_send")
            )
    with pytest.raises(AccountLocked):
        world.codes.verify(Channel.EMAIL, EMAIL, Purpose.VERIFY_EMAIL, real, CTX)
    assert answers[:6] == ["InvalidCode"] * 5 + ["AccountLocked"]
    assert answers.count("InvalidCode") == CAP
    assert len(world.events(AuditEventType.LOCKOUT)) == 1


def test_a_verify_with_no_live_code_never_counts_toward_the_lockout(world: AbuseWorld) -> None:
    world.account(EMAIL, PHONE)  # verified: its code was used, no code is live
    for i in range(CAP * 5):
        with pytest.raises(InvalidCode):
            world.codes.verify(Channel.EMAIL, EMAIL, Purpose.LOGIN, f"{i:06d}", CTX)
    tally = world.failures.tally(
        f"acct:{_account_id(world)}", now=world.clock.now(), window=timedelta(days=1)
    )
    assert tally.count == 0
    failed = world.events(AuditEventType.OTP_FAILED)
    assert len(failed) == CAP * 5 and {e.details["lockout"] for e in failed} == {"not_counted"}
    world.codes.send(Channel.EMAIL, EMAIL, Purpose.LOGIN, CTX, token=world.human("otp_send"))
    result = world.codes.verify(
        Channel.EMAIL, EMAIL, Purpose.LOGIN, world.secrets.issued_codes[-1], CTX
    )
    assert result.tokens is not None  # the owner's own code works at once


def test_guesses_at_a_no_op_code_never_count_either(world: AbuseWorld) -> None:
    world.account(EMAIL, PHONE)
    # Email already proven: a verify_email send is a no-op whose code is bound to nobody.
    world.clock.advance(61)
    world.codes.send(Channel.EMAIL, EMAIL, Purpose.VERIFY_EMAIL, CTX, token=world.human("otp_send"))
    noop = world.secrets.issued_codes[-1]
    for guess in (_not(noop), noop):
        with pytest.raises(InvalidCode):
            world.codes.verify(Channel.EMAIL, EMAIL, Purpose.VERIFY_EMAIL, guess, CTX)
    tally = world.failures.tally(
        f"acct:{_account_id(world)}", now=world.clock.now(), window=timedelta(days=1)
    )
    assert tally.count == 0


def test_reaching_the_cap_on_the_embedded_database_is_audited_at_once(tmp_path: Path) -> None:
    # SQLite allows one writer: the lockout event must not wait on the failing request's own
    # transaction (it used to hang for the 15 s busy timeout, then answer 503 unaudited).
    # (Code entry cannot reach its cap inside a day any more: 5 counted guesses per code and
    # the rising delay; its lockout event joins the verify's own transaction, shown above.)
    clock, codes = ManualClock(), SeededSecretGenerator()
    services = build_services(embedded_settings(tmp_path), clock=clock, secrets=codes)
    services.accounts.register(EMAIL, PHONE, PASSWORD, Role.WORKER, CTX, token=DUMMY_TOKEN)
    started, failures = time.monotonic(), 0
    while failures < services.guard.lockout.max_failures:
        try:
            services.accounts.login(EMAIL, "wrong", by_phone=False, ctx=CTX, token=DUMMY_TOKEN)
        except RateLimited as limited:  # the delay, the lockout, or the plain rate limits
            clock.advance(limited.retry_after or 0)
        except InvalidCredentials:
            failures += 1
    with services.uow() as uow:
        account = uow.accounts.by_email(EMAIL)
        assert account is not None
        events = [e.event for e in uow.audit.for_account(account.id, limit=500)]
    assert events.count(AuditEventType.LOCKOUT) == 1
    assert time.monotonic() - started < 10


# The audit trail: one scripted session of abuse touching every kind of event.


@attrs.frozen
class Script:
    world: AbuseWorld
    account_id: str
    secrets: list[str]
    started: datetime


@pytest.fixture
def script(world: AbuseWorld) -> Script:
    clock, started = world.clock, world.clock.now()
    world.accounts.register(EMAIL, PHONE, PASSWORD, Role.WORKER, CTX, token=world.human("register"))
    clock.advance(61)
    token = world.human("otp_send")
    world.codes.send(Channel.EMAIL, EMAIL, Purpose.VERIFY_EMAIL, CTX, token=token)  # otp_sent
    code = world.secrets.issued_codes[-1]
    with pytest.raises(InvalidCode):
        world.codes.verify(Channel.EMAIL, EMAIL, Purpose.VERIFY_EMAIL, _not(code), CTX)
    world.codes.verify(Channel.EMAIL, EMAIL, Purpose.VERIFY_EMAIL, code, CTX)  # otp_verified
    with pytest.raises(InvalidCredentials):
        login(world, "wrong password")  # login_failed
    fail_until(world, CAP - 1)  # sign_in_throttled, captcha_demanded, lockout
    clock.advance(timedelta(days=1))
    tokens = login(world)
    rotated = world.sessions.refresh(tokens.refresh_token, CTX)
    clock.advance(11)  # past the concurrent-refresh grace
    with pytest.raises(InvalidToken):
        world.sessions.refresh(tokens.refresh_token, CTX)  # token_reuse
    bad = "forged-turnstile-token"
    for _ in range(3):
        with pytest.raises(CaptchaFailed):
            world.guard.require_human(bad, "login", CTX)  # captcha_failed
    for _ in range(10):
        world.guard.limit({Operation.REGISTER: {}}, CTX)
    with pytest.raises(RateLimited):
        world.guard.limit({Operation.REGISTER: {}}, CTX)  # rate_limited
    secrets = [PASSWORD, "wrong password", bad, *world.secrets.issued_codes]
    secrets += [t for pair in (tokens, rotated) for t in (pair.access_token, pair.refresh_token)]
    return Script(world, _account_id(world), secrets, started)


OUTCOMES = {
    AuditEventType.REGISTER: {"ok"},
    AuditEventType.OTP_SENT: {"ok"},
    AuditEventType.OTP_FAILED: {"failed"},
    AuditEventType.OTP_VERIFIED: {"ok"},
    AuditEventType.LOGIN_FAILED: {"failed"},
    AuditEventType.SIGN_IN_THROTTLED: {"delayed", "refused"},
    AuditEventType.CAPTCHA_DEMANDED: {"demanded"},
    AuditEventType.LOCKOUT: {"locked"},
    AuditEventType.CAPTCHA_FAILED: {"refused"},
    AuditEventType.RATE_LIMITED: {"refused"},
    AuditEventType.TOKEN_REUSE: {"family_revoked"},
}
ANONYMOUS = {AuditEventType.CAPTCHA_FAILED, AuditEventType.RATE_LIMITED}


@pytest.mark.parametrize("kind", OUTCOMES)
def test_each_abuse_event_says_when_who_from_where_and_how_it_ended(
    script: Script, kind: AuditEventType
) -> None:
    events = script.world.events(kind)
    assert events, f"no {kind} event"
    for event in events:
        assert script.started <= event.occurred_at <= script.world.clock.now()
        assert event.ip == CTX.ip
        assert event.outcome in OUTCOMES[kind]
        anonymous = kind in ANONYMOUS or event.outcome == "refused"  # sampled refusals
        assert event.account_id == (None if anonymous else script.account_id)


def test_no_audit_event_holds_a_secret(script: Script) -> None:
    written = [repr(attrs.asdict(e)) for e in script.world.db.state.audit]
    assert len(written) > len(OUTCOMES)
    assert [s for s in script.secrets if any(s in line for line in written)] == []


def test_refusals_are_audited_once_a_minute_per_key(world: AbuseWorld) -> None:
    other = ClientContext(ip="2001:db8:5:6::1")
    sibling = ClientContext(ip="2001:db8:5:6::2")  # same /64: the same key
    for ctx in (CTX, CTX, other, sibling, CTX):
        with pytest.raises(CaptchaFailed):
            world.guard.require_human("bad", "register", ctx)
    assert len(world.events(AuditEventType.CAPTCHA_FAILED)) == 2
    world.clock.advance(61)
    with pytest.raises(CaptchaFailed):
        world.guard.require_human("bad", "register", CTX)
    refused = world.events(AuditEventType.CAPTCHA_FAILED)
    assert [e.ip for e in refused] == [CTX.ip, other.ip, CTX.ip]
    assert {e.details["action"] for e in refused} == {"register"}


def test_a_rate_limit_refusal_is_audited_with_its_rule(world: AbuseWorld) -> None:
    for _ in range(10):
        world.guard.limit({Operation.REGISTER: {}}, CTX)
    for _ in range(5):
        with pytest.raises(RateLimited):
            world.guard.limit({Operation.REGISTER: {}}, CTX)
    [event] = world.events(AuditEventType.RATE_LIMITED)
    assert event.details == {"rule": "register.ip.3600s"}
