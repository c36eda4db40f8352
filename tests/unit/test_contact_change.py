"""Email and phone changes on in-memory fakes: nothing changes before the proof, no hijack."""

from __future__ import annotations

import pytest

from domestyx.domain.model.audit import AuditEventType
from domestyx.domain.model.errors import (
    Conflict,
    DestinationNotAllowed,
    InvalidCode,
    InvalidInput,
    ResendTooSoon,
)
from domestyx.domain.model.otp import Channel
from tests.support.abuse_world import PASSWORD
from tests.unit.flows_world import OWNER, FlowsWorld

EMAIL, PHONE = "ann@example.com", "+447700900123"
BOB, BOB_PHONE = "bob@example.com", "+447700900777"
NEW_EMAIL, NEW_PHONE = "ann.new@example.com", "+447700900456"


@pytest.fixture
def world() -> FlowsWorld:
    return FlowsWorld()


def test_email_change_applies_only_with_the_code_and_signs_out_the_others(
    world: FlowsWorld,
) -> None:
    ann = world.proven(EMAIL, PHONE)
    me, other = world.sign_in(ann), world.sign_in(ann)
    world.contact_change.request(me, Channel.EMAIL, " Ann.New@Example.com ", PASSWORD, OWNER)
    assert world.account_by_id(ann.id).email == EMAIL  # nothing yet
    assert world.sent_to(NEW_EMAIL) == [("otp", "change_email")]
    changed = world.contact_change.verify(
        me, Channel.EMAIL, world.code_to(NEW_EMAIL, "change_email"), OWNER
    )
    assert changed.email == NEW_EMAIL and changed.email_verified
    assert world.live(me) and not world.live(other)
    assert world.sent_to(EMAIL)[-1] == ("email_changed", None)  # the old address is told
    assert [e.details["channel"] for e in world.events(AuditEventType.CONTACT_CHANGED)] == ["email"]


def test_phone_change_goes_by_sms_and_the_email_is_told(world: FlowsWorld) -> None:
    ann = world.proven(EMAIL, PHONE)
    me = world.sign_in(ann)
    world.contact_change.request(me, Channel.SMS, NEW_PHONE, PASSWORD, OWNER)
    changed = world.contact_change.verify(
        me, Channel.SMS, world.code_to(NEW_PHONE, "change_phone"), OWNER
    )
    assert changed.phone == NEW_PHONE and changed.phone_verified
    assert world.sent_to(EMAIL)[-1] == ("phone_changed", None)


def test_a_wrong_password_changes_and_sends_nothing(world: FlowsWorld) -> None:
    ann = world.proven(EMAIL, PHONE)
    me = world.sign_in(ann)
    with pytest.raises(InvalidInput) as refused:
        world.contact_change.request(me, Channel.EMAIL, NEW_EMAIL, "not my password", OWNER)
    assert refused.value.field == "password"
    assert world.sent_to(NEW_EMAIL) == []
    with world.db() as uow:
        assert uow.contact_changes.get(ann.id, Channel.EMAIL) is None
    (event,) = world.events(AuditEventType.CONTACT_CHANGE_REFUSED)
    assert event.details["reason"] == "password"


def test_a_contact_another_account_proved_gets_no_code_and_the_same_answer(
    world: FlowsWorld,
) -> None:
    world.proven(EMAIL, PHONE)
    bob = world.proven(BOB, BOB_PHONE)
    me = world.sign_in(bob)
    world.contact_change.request(me, Channel.EMAIL, EMAIL, PASSWORD, OWNER)  # no error
    world.contact_change.request(me, Channel.SMS, PHONE, PASSWORD, OWNER)
    assert [t for t, _ in world.sent_to(EMAIL)] == ["otp"]  # only Ann's own registration code
    assert world.sent_to(PHONE) == []
    for channel in (Channel.EMAIL, Channel.SMS):
        with pytest.raises(InvalidCode):
            world.contact_change.verify(me, channel, "123456", OWNER)
    outcomes = [e.outcome for e in world.events(AuditEventType.CONTACT_CHANGE_REQUESTED)]
    assert outcomes == ["suppressed", "suppressed"]
    with pytest.raises(ResendTooSoon):  # the same cooldown as a real send
        world.contact_change.request(me, Channel.EMAIL, EMAIL, PASSWORD, OWNER)


def test_a_second_request_voids_the_first_code(world: FlowsWorld) -> None:
    ann = world.proven(EMAIL, PHONE)
    me = world.sign_in(ann)
    world.contact_change.request(me, Channel.EMAIL, NEW_EMAIL, PASSWORD, OWNER)
    first = world.code_to(NEW_EMAIL, "change_email")
    world.contact_change.request(me, Channel.EMAIL, "ann.third@example.com", PASSWORD, OWNER)
    with pytest.raises(InvalidCode):
        world.contact_change.verify(me, Channel.EMAIL, first, OWNER)
    assert world.account_by_id(ann.id).email == EMAIL


def test_a_change_code_is_no_reset_code_and_the_reverse(world: FlowsWorld) -> None:
    ann = world.proven(EMAIL, PHONE)
    me = world.sign_in(ann)
    world.contact_change.request(me, Channel.EMAIL, NEW_EMAIL, PASSWORD, OWNER)
    change_code = world.code_to(NEW_EMAIL, "change_email")
    with pytest.raises(InvalidCode):
        world.recovery.reset(Channel.EMAIL, NEW_EMAIL, change_code, "a new pass phrase", OWNER)
    world.recovery.forgot(Channel.EMAIL, EMAIL, OWNER, token=world.human("password_forgot"))
    with pytest.raises(InvalidCode):
        world.contact_change.verify(
            me, Channel.EMAIL, world.code_to(EMAIL, "reset_password"), OWNER
        )
    with pytest.raises(InvalidCode):  # the email change's code on the phone channel
        world.contact_change.verify(me, Channel.SMS, change_code, OWNER)
    world.contact_change.verify(me, Channel.EMAIL, change_code, OWNER)  # still good


def test_proving_after_the_owner_proved_it_elsewhere_changes_nothing(world: FlowsWorld) -> None:
    ann = world.proven(EMAIL, PHONE)
    me = world.sign_in(ann)
    world.contact_change.request(me, Channel.EMAIL, BOB, PASSWORD, OWNER)
    code = world.code_to(BOB, "change_email")
    world.proven(BOB, BOB_PHONE)  # Bob registers and proves his own address meanwhile
    with pytest.raises(Conflict):
        world.contact_change.verify(me, Channel.EMAIL, code, OWNER)
    assert world.account_by_id(ann.id).email == EMAIL
    with pytest.raises(InvalidCode):  # and the pending change is gone
        world.contact_change.verify(me, Channel.EMAIL, code, OWNER)


def test_an_unproven_claim_does_not_block_the_change(world: FlowsWorld) -> None:
    ann = world.proven(EMAIL, PHONE)
    squatter = world.account(BOB, BOB_PHONE, email_verified=False)
    me = world.sign_in(ann)
    world.contact_change.request(me, Channel.SMS, BOB_PHONE, PASSWORD, OWNER)
    world.contact_change.verify(me, Channel.SMS, world.code_to(BOB_PHONE, "change_phone"), OWNER)
    assert world.account_by_id(ann.id).phone == BOB_PHONE
    assert world.account_by_id(squatter.id).phone != BOB_PHONE


def test_an_expired_change_cannot_be_proven(world: FlowsWorld) -> None:
    ann = world.proven(EMAIL, PHONE)
    me = world.sign_in(ann)
    world.contact_change.request(me, Channel.EMAIL, NEW_EMAIL, PASSWORD, OWNER)
    code = world.code_to(NEW_EMAIL, "change_email")
    world.clock.advance(10 * 60 + 1)
    with pytest.raises(InvalidCode):
        world.contact_change.verify(me, Channel.EMAIL, code, OWNER)


def test_refused_values(world: FlowsWorld) -> None:
    ann = world.proven(EMAIL, PHONE)
    me = world.sign_in(ann)
    with pytest.raises(InvalidInput) as same:
        world.contact_change.request(me, Channel.EMAIL, EMAIL.upper(), PASSWORD, OWNER)
    assert same.value.field == "new_email"
    with pytest.raises(InvalidInput) as bad:
        world.contact_change.request(me, Channel.SMS, "12", PASSWORD, OWNER)
    assert bad.value.field == "new_phone"


def test_sms_changes_obey_the_country_allow_list() -> None:
    import attrs

    from domestyx.domain.model.abuse import AbusePolicy, SmsPolicy

    world = FlowsWorld(policy=attrs.evolve(AbusePolicy(), sms=SmsPolicy(("+44",))))
    me = world.sign_in(world.proven(EMAIL, PHONE))
    with pytest.raises(DestinationNotAllowed):
        world.contact_change.request(me, Channel.SMS, "+37120000001", PASSWORD, OWNER)


def test_a_failure_while_applying_leaves_nothing_half_done(world: FlowsWorld) -> None:
    ann = world.proven(EMAIL, PHONE)
    me, other = world.sign_in(ann), world.sign_in(ann)
    world.contact_change.request(me, Channel.EMAIL, NEW_EMAIL, PASSWORD, OWNER)
    code = world.code_to(NEW_EMAIL, "change_email")
    world.db.down = True
    with pytest.raises(Exception, match="unavailable"):
        world.contact_change.verify(me, Channel.EMAIL, code, OWNER)
    world.db.down = False
    assert world.account_by_id(ann.id).email == EMAIL and world.live(other)
    assert world.events(AuditEventType.CONTACT_CHANGED) == []


def test_change_and_reset_sms_spend_the_country_and_global_sms_caps() -> None:
    from domestyx.domain.model.abuse import AbusePolicy
    from domestyx.domain.model.errors import RateLimited, SmsBudgetExhausted

    policy = AbusePolicy().with_overrides(
        {
            "otp_send_sms.global": "3/1h",
            "otp_send_sms.prefix": "2/1h",
            "contact_change.account": "50/1h",
        }
    )
    world = FlowsWorld(policy=policy)
    me = world.sign_in(world.proven(EMAIL, PHONE))
    world.contact_change.request(me, Channel.SMS, "+447700900401", PASSWORD, OWNER)
    world.recovery.forgot(Channel.SMS, PHONE, OWNER, token=world.human("password_forgot"))
    with pytest.raises(RateLimited) as country:  # the +44 hourly cap of 2
        world.contact_change.request(me, Channel.SMS, "+447700900402", PASSWORD, OWNER)
    assert "otp_send_sms.prefix" in country.value.policy
    world.contact_change.request(me, Channel.SMS, "+14155550100", PASSWORD, OWNER)
    with pytest.raises(SmsBudgetExhausted):  # the global breaker of 3
        world.contact_change.request(me, Channel.SMS, "+14155550101", PASSWORD, OWNER)
    with pytest.raises(SmsBudgetExhausted):
        world.recovery.forgot(
            Channel.SMS, "+14155550102", OWNER, token=world.human("password_forgot")
        )
    texted = [d for d in world.db.state.deliveries.values() if d.channel is Channel.SMS]
    assert len(texted) == 3  # the three under the caps; nothing after them


def test_closing_the_account_drops_its_pending_change(world: FlowsWorld) -> None:
    ann = world.proven(EMAIL, PHONE)
    me = world.sign_in(ann)
    world.contact_change.request(me, Channel.EMAIL, NEW_EMAIL, PASSWORD, OWNER)
    world.accounts.delete_account(me, OWNER)
    with world.db() as uow:
        assert uow.contact_changes.get(ann.id, Channel.EMAIL) is None


def test_an_unproven_email_registration_does_not_block_the_change(world: FlowsWorld) -> None:
    ann = world.proven(EMAIL, PHONE)
    squatter = world.account(BOB, BOB_PHONE, email_verified=False)
    me = world.sign_in(ann)
    world.contact_change.request(me, Channel.EMAIL, BOB, PASSWORD, OWNER)
    world.contact_change.verify(me, Channel.EMAIL, world.code_to(BOB, "change_email"), OWNER)
    assert world.account_by_id(ann.id).email == BOB
    with world.db() as uow:
        assert uow.accounts.get(squatter.id) is None  # the never-proven registration is gone


def test_any_spelling_of_another_accounts_phone_is_refused_alike(world: FlowsWorld) -> None:
    world.proven(EMAIL, PHONE)
    me = world.sign_in(world.proven(BOB, BOB_PHONE))
    arabic = "+44" + "7700900123".translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    world.contact_change.request(me, Channel.SMS, arabic, PASSWORD, OWNER)
    assert world.sent_to(PHONE) == [] and world.sent_to(arabic) == []
    with pytest.raises(ResendTooSoon):  # one canonical slot, whatever the spelling
        world.contact_change.request(me, Channel.SMS, "+44 7700 900123", PASSWORD, OWNER)
    with world.db() as uow:
        pending = uow.contact_changes.get(me.account_id, Channel.SMS)
    assert pending is not None and pending.new_value == PHONE
