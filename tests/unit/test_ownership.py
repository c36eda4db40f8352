"""Issue 12 on fakes: unproven claims never block or capture; no sign-in before the email proof."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from domestyx.domain.model.accounts import Account, AccountStatus, Role
from domestyx.domain.model.audit import AuditEventType, ClientContext
from domestyx.domain.model.delivery import Template
from domestyx.domain.model.errors import InvalidCode, InvalidCredentials, ResendTooSoon
from domestyx.domain.model.keys import CodeSealer
from domestyx.domain.model.otp import Channel, Purpose
from domestyx.domain.services.retention import RetentionService
from domestyx.entrypoints.settings import Settings, SettingsError
from tests.support.abuse_world import AbuseWorld

OWNER_EMAIL, OWNER_PHONE = "owner@example.com", "+447700900123"
STRANGER_PHONE = "+447700900666"
OWNER_PASSWORD, STRANGER_PASSWORD = "maple syrup river 42", "quiet violet engine 77"
OWNER, STRANGER = ClientContext(ip="192.0.2.10"), ClientContext(ip="203.0.113.66")
COOLDOWN = timedelta(seconds=61)


def latest_code(world: AbuseWorld, destination: str) -> str:
    """The newest code queued for a destination, unsealed as the worker would."""
    queued = [
        d
        for d in world.db.state.deliveries.values()
        if d.destination == destination and d.sealed_code
    ]
    assert queued, f"no code queued for {destination}"
    newest = max(queued, key=lambda d: d.created_at)
    assert newest.sealed_code is not None
    return CodeSealer(b"s" * 32).unseal(newest.sealed_code, newest.id)


def register(world: AbuseWorld, email: str, phone: str, password: str, ctx: ClientContext) -> None:
    world.accounts.register(email, phone, password, Role.WORKER, ctx, token=world.human("register"))


def prove_email(world: AbuseWorld, email: str, ctx: ClientContext = OWNER) -> Account:
    code = latest_code(world, email)
    return world.codes.verify(Channel.EMAIL, email, Purpose.VERIFY_EMAIL, code, ctx).account


def prove_phone(
    world: AbuseWorld, phone: str, ctx: ClientContext = OWNER, caller: str | None = None
) -> Account:
    world.clock.advance(COOLDOWN)
    world.codes.send(
        Channel.SMS, phone, Purpose.VERIFY_PHONE, ctx, caller=caller, token=world.human("otp_send")
    )
    code = latest_code(world, phone)
    verify = world.codes.verify
    return verify(Channel.SMS, phone, Purpose.VERIFY_PHONE, code, ctx, caller=caller).account


def login_refusal(world: AbuseWorld, email: str, password: str) -> str:
    with pytest.raises(InvalidCredentials) as refused:
        world.accounts.login(email, password, by_phone=False, ctx=OWNER)
    return refused.value.detail


def accounts(world: AbuseWorld) -> list[Account]:
    return list(world.db.state.accounts.values())


def test_an_unproven_email_signs_in_nobody_and_answers_as_a_wrong_password() -> None:
    world = AbuseWorld()
    register(world, OWNER_EMAIL, OWNER_PHONE, OWNER_PASSWORD, OWNER)
    right = login_refusal(world, OWNER_EMAIL, OWNER_PASSWORD)
    wrong = login_refusal(world, OWNER_EMAIL, "not the password at all")
    assert right == wrong
    assert world.db.state.sessions == {}
    assert len(world.events(AuditEventType.LOGIN_FAILED)) == 2


def test_no_login_code_goes_to_an_unproven_email() -> None:
    world = AbuseWorld()
    register(world, OWNER_EMAIL, OWNER_PHONE, OWNER_PASSWORD, OWNER)
    world.codes.send(
        Channel.EMAIL, OWNER_EMAIL, Purpose.LOGIN, OWNER, token=world.human("otp_send")
    )
    assert [e.details["purpose"] for e in world.events(AuditEventType.OTP_SUPPRESSED)] == ["login"]
    assert not [d for d in world.db.state.deliveries.values() if d.purpose == "login"]


def test_pre_hijack_ends_with_the_owner_holding_the_account() -> None:
    world = AbuseWorld()
    register(world, OWNER_EMAIL, STRANGER_PHONE, STRANGER_PASSWORD, STRANGER)
    strangers_code = latest_code(world, OWNER_EMAIL)  # landed in the owner's inbox, unused
    world.clock.advance(COOLDOWN)
    register(world, OWNER_EMAIL, OWNER_PHONE, OWNER_PASSWORD, OWNER)
    with pytest.raises(InvalidCode):  # bound to the replaced registration
        world.codes.verify(Channel.EMAIL, OWNER_EMAIL, Purpose.VERIFY_EMAIL, strangers_code, OWNER)
    world.clock.advance(COOLDOWN)
    account = prove_email(world, OWNER_EMAIL)
    assert account.email_verified and account.phone == OWNER_PHONE
    assert [a.phone for a in accounts(world)] == [OWNER_PHONE]  # the stranger's phone is gone
    world.accounts.login(OWNER_EMAIL, OWNER_PASSWORD, by_phone=False, ctx=OWNER)
    login_refusal(world, OWNER_EMAIL, STRANGER_PASSWORD)
    assert len(world.events(AuditEventType.REGISTER_REPLACED)) == 1


def test_proving_activates_the_latest_registration_never_an_earlier_one() -> None:
    world = AbuseWorld()
    register(world, OWNER_EMAIL, OWNER_PHONE, OWNER_PASSWORD, OWNER)
    first_code = latest_code(world, OWNER_EMAIL)
    world.clock.advance(COOLDOWN)
    register(world, OWNER_EMAIL, STRANGER_PHONE, STRANGER_PASSWORD, STRANGER)
    with pytest.raises(InvalidCode):
        world.codes.verify(Channel.EMAIL, OWNER_EMAIL, Purpose.VERIFY_EMAIL, first_code, OWNER)
    (only,) = accounts(world)
    assert not only.email_verified  # the earlier code activated nothing
    prove_email(world, OWNER_EMAIL)
    world.accounts.login(OWNER_EMAIL, STRANGER_PASSWORD, by_phone=False, ctx=OWNER)
    login_refusal(world, OWNER_EMAIL, OWNER_PASSWORD)


def test_phone_squatting_never_blocks_the_owner_and_proof_releases_the_claim() -> None:
    world = AbuseWorld()
    register(world, "squatter@example.com", OWNER_PHONE, STRANGER_PASSWORD, STRANGER)
    prove_email(world, "squatter@example.com", STRANGER)
    world.clock.advance(COOLDOWN)
    register(world, OWNER_EMAIL, OWNER_PHONE, OWNER_PASSWORD, OWNER)
    me = prove_email(world, OWNER_EMAIL)
    # Two email-proven claims: a code without a signed-in caller goes nowhere, so it can never
    # be bound to the squatter's account while the owner types it in.
    world.clock.advance(COOLDOWN)
    world.codes.send(
        Channel.SMS, OWNER_PHONE, Purpose.VERIFY_PHONE, OWNER, token=world.human("otp_send")
    )
    assert not [d for d in world.db.state.deliveries.values() if d.destination == OWNER_PHONE]
    owner = prove_phone(world, OWNER_PHONE, caller=me.id)  # the owner, signed in
    assert owner.email == OWNER_EMAIL and owner.status is AccountStatus.ACTIVE
    squatter = next(a for a in accounts(world) if a.email == "squatter@example.com")
    assert squatter.phone == "" and not squatter.phone_verified
    world.accounts.login(OWNER_PHONE, OWNER_PASSWORD, by_phone=True, ctx=OWNER)
    with pytest.raises(InvalidCredentials):
        world.accounts.login(OWNER_PHONE, STRANGER_PASSWORD, by_phone=True, ctx=STRANGER)
    (released,) = world.events(AuditEventType.PHONE_RELEASED)
    assert released.account_id == squatter.id and released.subject_id == owner.id


def test_a_lone_claimant_proves_the_phone_without_signing_in() -> None:
    world = AbuseWorld()
    register(world, "squatter@example.com", OWNER_PHONE, STRANGER_PASSWORD, STRANGER)  # unproven
    register(world, OWNER_EMAIL, OWNER_PHONE, OWNER_PASSWORD, OWNER)
    prove_email(world, OWNER_EMAIL)
    assert prove_phone(world, OWNER_PHONE).email == OWNER_EMAIL
    with world.db() as uow:
        squatter = uow.accounts.by_email("squatter@example.com")
    assert squatter is not None and squatter.phone == ""


def test_a_signed_in_caller_proves_only_its_own_claim() -> None:
    world = AbuseWorld()
    register(world, "squatter@example.com", OWNER_PHONE, STRANGER_PASSWORD, STRANGER)
    squatter = prove_email(world, "squatter@example.com", STRANGER)
    register(world, OWNER_EMAIL, STRANGER_PHONE, OWNER_PASSWORD, OWNER)
    me = prove_email(world, OWNER_EMAIL)
    world.clock.advance(COOLDOWN)
    world.codes.send(
        Channel.SMS,
        OWNER_PHONE,
        Purpose.VERIFY_PHONE,
        OWNER,
        caller=me.id,
        token=world.human("otp_send"),
    )
    assert not [d for d in world.db.state.deliveries.values() if d.destination == OWNER_PHONE]
    assert squatter.phone == OWNER_PHONE


def test_an_unproven_phone_signs_in_nobody_by_phone() -> None:
    world = AbuseWorld()
    register(world, OWNER_EMAIL, OWNER_PHONE, OWNER_PASSWORD, OWNER)
    prove_email(world, OWNER_EMAIL)
    with pytest.raises(InvalidCredentials):
        world.accounts.login(OWNER_PHONE, OWNER_PASSWORD, by_phone=True, ctx=OWNER)


@pytest.mark.parametrize("taken", ["email", "phone"])
def test_a_proven_contact_cannot_be_claimed_and_its_owner_is_told(taken: str) -> None:
    world = AbuseWorld()
    register(world, OWNER_EMAIL, OWNER_PHONE, OWNER_PASSWORD, OWNER)
    prove_email(world, OWNER_EMAIL)
    prove_phone(world, OWNER_PHONE)
    world.clock.advance(COOLDOWN)
    email = OWNER_EMAIL if taken == "email" else "stranger@example.com"
    phone = STRANGER_PHONE if taken == "email" else OWNER_PHONE
    register(world, email, phone, STRANGER_PASSWORD, STRANGER)  # same answer: no exception
    assert [a.email for a in accounts(world)] == [OWNER_EMAIL]
    notices = [
        d for d in world.db.state.deliveries.values() if d.template is Template.SIGNUP_NOTICE
    ]
    assert [n.destination for n in notices] == [OWNER_EMAIL]
    world.accounts.login(OWNER_EMAIL, OWNER_PASSWORD, by_phone=False, ctx=OWNER)
    assert len(world.events(AuditEventType.REGISTER_DUPLICATE)) == 1


def test_the_resend_cooldown_says_nothing_about_a_taken_email() -> None:
    world = AbuseWorld()
    register(world, OWNER_EMAIL, OWNER_PHONE, OWNER_PASSWORD, OWNER)
    prove_email(world, OWNER_EMAIL)
    world.clock.advance(COOLDOWN)
    waits = []
    for email in (OWNER_EMAIL, "new-person@example.com"):
        register(world, email, STRANGER_PHONE, STRANGER_PASSWORD, STRANGER)
        with pytest.raises(ResendTooSoon) as waiting:
            world.codes.send(
                Channel.EMAIL, email, Purpose.VERIFY_EMAIL, STRANGER, token=world.human("otp_send")
            )
        waits.append(waiting.value.retry_after)
    assert waits[0] == waits[1] and waits[0]


def retention(world: AbuseWorld) -> RetentionService:
    world.services.bucket.ensure_identity()  # as `domestyx migrate` does: the purge is guarded
    world.services.bucket.claim(only_if_empty=False)
    return world.services.retention  # the root's: PENDING_ACCOUNT_TTL_HOURS defaults to 72


def test_pending_registrations_expire_and_free_their_contacts() -> None:
    world = AbuseWorld()
    register(world, "squatter@example.com", OWNER_PHONE, STRANGER_PASSWORD, STRANGER)
    register(world, "proven@example.com", STRANGER_PHONE, OWNER_PASSWORD, OWNER)
    prove_email(world, "proven@example.com")
    world.clock.advance(timedelta(hours=71))
    assert retention(world).purge_due().report.pending_deleted == 0
    world.clock.advance(timedelta(hours=2))
    assert retention(world).purge_due().report.pending_deleted == 1
    assert [a.email for a in accounts(world)] == ["proven@example.com"]  # proven email stays
    assert not [d for d in world.db.state.deliveries.values() if d.destination.startswith("sq")]
    (expired,) = world.events(AuditEventType.PENDING_EXPIRED)
    assert expired.details == {"reason": "ttl"}
    register(world, "squatter@example.com", OWNER_PHONE, OWNER_PASSWORD, OWNER)  # free again
    assert len(accounts(world)) == 2


def test_a_registration_proven_meanwhile_is_not_deleted() -> None:
    world = AbuseWorld()
    register(world, OWNER_EMAIL, OWNER_PHONE, OWNER_PASSWORD, OWNER)
    world.clock.advance(timedelta(hours=73))
    service = retention(world)
    with world.db() as uow:
        (expired,) = uow.accounts.unproven_before(world.clock.now() - timedelta(hours=72), 10)
    world.codes.send(
        Channel.EMAIL, OWNER_EMAIL, Purpose.VERIFY_EMAIL, OWNER, token=world.human("otp_send")
    )
    prove_email(world, OWNER_EMAIL)  # lands between the listing and the delete
    assert service._delete_pending(expired.id) is False
    assert len(accounts(world)) == 1


def test_the_pending_ttl_is_a_setting_of_at_least_one_hour(tmp_path: Path) -> None:
    base = {"DOMESTYX_VAR_DIR": str(tmp_path)}
    assert Settings.from_env(base).policy.pending_account_ttl_hours == 72
    assert (
        Settings.from_env(
            {**base, "PENDING_ACCOUNT_TTL_HOURS": "24"}
        ).policy.pending_account_ttl_hours
        == 24
    )
    with pytest.raises(SettingsError, match="PENDING_ACCOUNT_TTL_HOURS"):
        Settings.from_env({**base, "PENDING_ACCOUNT_TTL_HOURS": "0"})
