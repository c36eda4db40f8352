"""Password recovery on in-memory fakes: who gets a code, what a reset does, what it refuses."""

from __future__ import annotations

import pytest

from domestyx.domain.model.audit import AuditEventType
from domestyx.domain.model.errors import (
    AccountLocked,
    CodeAttemptsExhausted,
    InvalidCode,
    InvalidInput,
    ResendTooSoon,
    WeakPassword,
)
from domestyx.domain.model.otp import Channel, Purpose
from tests.support.abuse_world import PASSWORD
from tests.unit.flows_world import OWNER, STRANGER, FlowsWorld

EMAIL, PHONE, NEW = "ann@example.com", "+447700900123", "a brand new pass phrase"


@pytest.fixture
def world() -> FlowsWorld:
    return FlowsWorld()


def test_a_reset_code_goes_only_to_a_proven_contact(world: FlowsWorld) -> None:
    world.account(EMAIL, PHONE)  # email proven, phone not
    world.recovery.forgot(Channel.EMAIL, EMAIL, STRANGER, token=world.human("password_forgot"))
    world.recovery.forgot(Channel.SMS, PHONE, STRANGER, token=world.human("password_forgot"))
    world.recovery.forgot(
        Channel.EMAIL, "nobody@example.com", STRANGER, token=world.human("password_forgot")
    )
    assert world.sent_to(EMAIL)[-1] == ("otp", "reset_password")
    assert world.sent_to(PHONE) == [] and world.sent_to("nobody@example.com") == []
    suppressed = world.events(AuditEventType.OTP_SUPPRESSED)
    assert [e.details["purpose"] for e in suppressed] == ["reset_password"] * 2
    for channel, to in ((Channel.EMAIL, EMAIL), (Channel.SMS, PHONE)):
        with pytest.raises(ResendTooSoon):  # the same cooldown whether or not a code left
            world.recovery.forgot(channel, to, STRANGER, token=world.human("password_forgot"))
    with pytest.raises(ResendTooSoon):
        world.recovery.forgot(
            Channel.EMAIL, "nobody@example.com", STRANGER, token=world.human("password_forgot")
        )


def test_a_reset_changes_the_password_revokes_every_session_and_notifies(
    world: FlowsWorld,
) -> None:
    account = world.proven(EMAIL, PHONE)
    sessions = [world.sign_in(account), world.sign_in(account)]
    world.recovery.forgot(Channel.SMS, PHONE, OWNER, token=world.human("password_forgot"))
    world.recovery.reset(Channel.SMS, PHONE, world.code_to(PHONE, "reset_password"), NEW, OWNER)
    after = world.account_by_id(account.id)
    assert world.passwords.verify(after.password_hash, NEW)
    assert not any(world.live(s) for s in sessions)
    assert world.sent_to(EMAIL)[-1] == ("password_reset", None)
    (event,) = world.events(AuditEventType.PASSWORD_RESET)
    assert event.account_id == account.id and event.details["sessions_revoked"] == "2"


def test_a_reset_code_works_once_and_only_for_its_purpose(world: FlowsWorld) -> None:
    world.proven(EMAIL, PHONE)
    world.recovery.forgot(Channel.EMAIL, EMAIL, OWNER, token=world.human("password_forgot"))
    code = world.code_to(EMAIL, "reset_password")
    with pytest.raises(InvalidInput):  # otp/verify never redeems a reset code
        world.codes.verify(Channel.EMAIL, EMAIL, Purpose.RESET_PASSWORD, code, OWNER)
    with pytest.raises(InvalidCode):  # nor is it a sign-in code
        world.codes.verify(Channel.EMAIL, EMAIL, Purpose.LOGIN, code, OWNER)
    world.recovery.reset(Channel.EMAIL, EMAIL, code, NEW, OWNER)
    with pytest.raises(InvalidCode):
        world.recovery.reset(Channel.EMAIL, EMAIL, code, "another long pass phrase", OWNER)


def test_a_login_code_cannot_reset_the_password(world: FlowsWorld) -> None:
    world.proven(EMAIL, PHONE)
    world.codes.send(Channel.EMAIL, EMAIL, Purpose.LOGIN, OWNER, token=world.human("otp_send"))
    with pytest.raises(InvalidCode):
        world.recovery.reset(Channel.EMAIL, EMAIL, world.code_to(EMAIL, "login"), NEW, OWNER)


def test_a_weak_password_is_refused_before_the_code_is_spent(world: FlowsWorld) -> None:
    account = world.proven(EMAIL, PHONE)
    world.recovery.forgot(Channel.EMAIL, EMAIL, OWNER, token=world.human("password_forgot"))
    code = world.code_to(EMAIL, "reset_password")
    with pytest.raises(WeakPassword):
        world.recovery.reset(Channel.EMAIL, EMAIL, code, "short", OWNER)
    assert world.passwords.verify(world.account_by_id(account.id).password_hash, PASSWORD)
    world.recovery.reset(Channel.EMAIL, EMAIL, code, NEW, OWNER)


def test_an_expired_code_is_refused(world: FlowsWorld) -> None:
    world.proven(EMAIL, PHONE)
    world.recovery.forgot(Channel.EMAIL, EMAIL, OWNER, token=world.human("password_forgot"))
    code = world.code_to(EMAIL, "reset_password")
    world.clock.advance(10 * 60 + 1)
    with pytest.raises(InvalidCode):
        world.recovery.reset(Channel.EMAIL, EMAIL, code, NEW, OWNER)


def test_five_tries_per_code_and_a_resend_does_not_refill_them(world: FlowsWorld) -> None:
    world.proven(EMAIL, PHONE)
    world.recovery.forgot(Channel.EMAIL, EMAIL, STRANGER, token=world.human("password_forgot"))
    code = world.code_to(EMAIL, "reset_password")
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        with pytest.raises(InvalidCode):
            world.recovery.reset(Channel.EMAIL, EMAIL, wrong, NEW, STRANGER)
    world.clock.advance(61)
    with pytest.raises(CodeAttemptsExhausted):  # a new code lands in the locked slot
        world.recovery.forgot(Channel.EMAIL, EMAIL, OWNER, token=world.human("password_forgot"))
    with pytest.raises(CodeAttemptsExhausted):
        world.recovery.reset(Channel.EMAIL, EMAIL, code, NEW, OWNER)


def test_a_strangers_guesses_never_slow_the_owner_or_their_sign_in(world: FlowsWorld) -> None:
    world.proven(EMAIL, PHONE)
    for i in range(30):  # no live code: nothing to guess, nothing counted against anyone
        with pytest.raises((InvalidCode, AccountLocked)):
            world.recovery.reset(Channel.EMAIL, EMAIL, f"{i:06d}", NEW, STRANGER)
    world.recovery.forgot(Channel.EMAIL, EMAIL, OWNER, token=world.human("password_forgot"))
    for _ in range(4):
        with pytest.raises(InvalidCode):
            world.recovery.reset(Channel.EMAIL, EMAIL, "000000", NEW, STRANGER)
    world.accounts.login(EMAIL, PASSWORD, by_phone=False, ctx=OWNER)  # sign-in untouched
    world.recovery.reset(Channel.EMAIL, EMAIL, world.code_to(EMAIL, "reset_password"), NEW, OWNER)
    assert world.events(AuditEventType.LOCKOUT) == []


def test_the_stranger_network_is_slowed_after_five_live_misses(world: FlowsWorld) -> None:
    world.proven(EMAIL, PHONE)
    for misses in (3, 2):  # two codes, so the per-code cap is not what stops them
        world.recovery.forgot(Channel.EMAIL, EMAIL, OWNER, token=world.human("password_forgot"))
        for _ in range(misses):
            with pytest.raises(InvalidCode):
                world.recovery.reset(Channel.EMAIL, EMAIL, "000000", NEW, STRANGER)
        if misses == 3:
            world.clock.advance(11 * 60)  # the slot expires with its misses
    with pytest.raises(AccountLocked):  # the sixth live miss from this network must wait
        world.recovery.reset(Channel.EMAIL, EMAIL, "000000", NEW, STRANGER)
    world.recovery.reset(Channel.EMAIL, EMAIL, world.code_to(EMAIL, "reset_password"), NEW, OWNER)


def test_a_failed_reset_leaves_everything_as_it_was(world: FlowsWorld) -> None:
    account = world.proven(EMAIL, PHONE)
    session = world.sign_in(account)
    world.recovery.forgot(Channel.EMAIL, EMAIL, OWNER, token=world.human("password_forgot"))
    code = world.code_to(EMAIL, "reset_password")
    world.db.down = True
    with pytest.raises(Exception, match="unavailable"):
        world.recovery.reset(Channel.EMAIL, EMAIL, code, NEW, OWNER)
    world.db.down = False
    assert world.live(session)
    assert world.passwords.verify(world.account_by_id(account.id).password_hash, PASSWORD)
    assert world.events(AuditEventType.PASSWORD_RESET) == []


def test_the_other_contact_is_refused_as_a_password_without_spending_the_code(
    world: FlowsWorld,
) -> None:
    world.proven(EMAIL, PHONE)
    world.recovery.forgot(Channel.EMAIL, EMAIL, OWNER, token=world.human("password_forgot"))
    code = world.code_to(EMAIL, "reset_password")
    with pytest.raises(WeakPassword, match="phone number"):  # known only once the code matched
        world.recovery.reset(Channel.EMAIL, EMAIL, code, f"x{PHONE}x", OWNER)
    world.recovery.reset(Channel.EMAIL, EMAIL, code, NEW, OWNER)
