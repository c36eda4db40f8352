"""TOTP enrolment and the second factor on the in-memory fakes: windows, replays, lockout."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domestyx.adapters.memory.mfa import ReversingSecretBox, SequentialTotp
from domestyx.adapters.memory.rate_limiter import InMemoryFailureCounter
from domestyx.domain.model.accounts import Account, Role
from domestyx.domain.model.audit import AuditEventType, ClientContext
from domestyx.domain.model.errors import (
    CodeAttemptsExhausted,
    Conflict,
    InvalidCode,
    TotpRequired,
)
from domestyx.domain.model.mfa import AAL_MFA, AAL_PASSWORD, Enrolment, MfaPolicy
from domestyx.domain.model.sessions import Principal, Session
from domestyx.ports.mfa import SecretBox, TotpAlgorithm
from domestyx.ports.rate_limiter import FailureCounter
from tests.support.worlds import Fakes, fake_services

CTX = ClientContext(ip="203.0.113.9", user_agent="pytest")
STEP = timedelta(seconds=30)


class World:
    """The service over fakes, one staff account and a helper to read the code of a step."""

    def __init__(self) -> None:
        fakes = Fakes()
        self.clock, self.db, self.ids = fakes.clock, fakes.db, fakes.ids
        self.totp, self.failures = SequentialTotp(), InMemoryFailureCounter()
        self.services = fake_services(
            fakes,
            {
                TotpAlgorithm: self.totp,
                SecretBox: ReversingSecretBox(),
                FailureCounter: self.failures,
            },
        )
        self.service = self.services.mfa
        self.account = Account(
            id="a" * 32,
            email="rev@example.com",
            phone="+447700900123",
            role=Role.REVIEWER,
            password_hash="x",
            created_at=self.clock.now(),
        )
        self.account.verify_email(self.clock.now())  # staff are made with proven contacts
        self.account.verify_phone(self.clock.now())
        with self.db() as uow:
            uow.accounts.add(self.account)
            uow.commit()
        self.principal = Principal(self.account.id, Role.REVIEWER, "s" * 32)

    def code(self, enrolment: Enrolment, steps: int = 0) -> str:
        step = MfaPolicy().step(self.clock.now()) + steps
        return self.totp.code_at(enrolment.secret, step)

    def enrolled(self) -> Enrolment:
        enrolment = self.service.enrol(self.principal, CTX)
        self.service.confirm(self.principal, self.code(enrolment), CTX)
        return enrolment

    def events(self, kind: AuditEventType) -> list[str]:
        return [e.outcome for e in self.db.state.audit if e.event is kind]


@pytest.fixture
def world() -> World:
    return World()


def test_enrolment_seals_the_secret_and_keeps_only_hashes_of_recovery_codes(world: World) -> None:
    enrolment = world.service.enrol(world.principal, CTX)
    assert enrolment.otpauth_uri.startswith("otpauth://totp/DomestyX:rev@example.com?")
    stored = world.db.state.mfa.totp[world.account.id]
    assert enrolment.secret not in stored.sealed_secret and not stored.active
    hashes = {c.code_hash for c in world.db.state.mfa.recovery.values()}
    assert len(enrolment.recovery_codes) == len(set(enrolment.recovery_codes)) == 10
    assert all(len(code) == 19 and code.count("-") == 3 for code in enrolment.recovery_codes)
    assert len(hashes) == 10 and not hashes & set(enrolment.recovery_codes)
    assert enrolment.secret not in repr(enrolment)


def test_an_unconfirmed_enrolment_asks_for_nothing_at_sign_in(world: World) -> None:
    world.service.enrol(world.principal, CTX)
    assert world.service.second_factor(world.account, None, CTX) == AAL_PASSWORD
    assert world.service.enabled(world.principal) is False


def test_a_new_enrolment_before_confirmation_replaces_the_old_one(world: World) -> None:
    first = world.service.enrol(world.principal, CTX)
    second = world.service.enrol(world.principal, CTX)
    assert first.secret != second.secret
    with pytest.raises(InvalidCode):
        world.service.confirm(world.principal, world.code(first), CTX)
    world.service.confirm(world.principal, world.code(second), CTX)
    assert len(world.db.state.mfa.recovery) == 10  # the first set is gone


def test_confirmation_activates_signs_out_other_sessions_and_cannot_be_repeated(
    world: World,
) -> None:
    with world.db() as uow:
        for sid in ("s" * 32, "o" * 32):
            now = world.clock.now()
            uow.sessions.add_session(Session(sid, world.account.id, now, now + STEP * 100))
        uow.commit()
    enrolment = world.enrolled()
    assert world.service.enabled(world.principal)
    assert world.db.state.sessions["o" * 32].revoked_reason == "mfa_enabled"
    assert world.db.state.sessions["s" * 32].revoked_at is None
    with pytest.raises(Conflict):
        world.service.enrol(world.principal, CTX)
    with pytest.raises(Conflict):
        world.service.confirm(world.principal, world.code(enrolment, 1), CTX)


def test_an_enrolled_account_needs_a_code(world: World) -> None:
    world.enrolled()
    with pytest.raises(TotpRequired):
        world.service.second_factor(world.account, None, CTX)
    with pytest.raises(TotpRequired):
        world.service.second_factor(world.account, "", CTX)


@pytest.mark.parametrize("steps", [-1, 0, 1])
def test_codes_one_step_either_side_are_accepted(world: World, steps: int) -> None:
    enrolment = world.enrolled()
    world.clock.advance(STEP * 3)  # past the confirmation's step
    assert world.service.second_factor(world.account, world.code(enrolment, steps), CTX) == AAL_MFA


@pytest.mark.parametrize("steps", [-2, 2, 5])
def test_codes_further_away_are_refused(world: World, steps: int) -> None:
    enrolment = world.enrolled()
    world.clock.advance(STEP * 10)
    with pytest.raises(InvalidCode):
        world.service.second_factor(world.account, world.code(enrolment, steps), CTX)


def test_each_code_works_once_and_older_codes_die_with_it(world: World) -> None:
    enrolment = world.enrolled()
    world.clock.advance(STEP * 3)
    newer, older = world.code(enrolment, 1), world.code(enrolment, -1)
    assert world.service.second_factor(world.account, newer, CTX) == AAL_MFA
    for replay in (newer, older):
        with pytest.raises(InvalidCode):
            world.service.second_factor(world.account, replay, CTX)
    assert world.events(AuditEventType.MFA_FAILED) == ["failed", "failed"]


def test_five_wrong_codes_lock_the_factor_until_the_period_passes(world: World) -> None:
    enrolment = world.enrolled()
    for _ in range(5):
        with pytest.raises(InvalidCode):
            world.service.second_factor(world.account, "000000", CTX)
    assert world.events(AuditEventType.MFA_FAILED)[-1] == "locked"
    world.clock.advance(STEP)
    with pytest.raises(CodeAttemptsExhausted) as locked:
        world.service.second_factor(world.account, world.code(enrolment), CTX)
    assert 0 < (locked.value.retry_after or 0) <= 15 * 60
    world.clock.advance(timedelta(minutes=15))
    assert world.service.second_factor(world.account, world.code(enrolment), CTX) == AAL_MFA
    assert (
        world.failures.tally(
            "totp:" + world.account.id, now=world.clock.now(), window=timedelta(hours=1)
        ).count
        == 0
    )


def test_recovery_codes_work_once_in_any_spelling(world: World) -> None:
    enrolment = world.enrolled()
    first, second = enrolment.recovery_codes[:2]
    assert world.service.second_factor(world.account, first, CTX) == AAL_MFA
    with pytest.raises(InvalidCode):
        world.service.second_factor(world.account, first, CTX)
    spelled = " " + second.upper().replace("-", " ") + " "
    assert world.service.second_factor(world.account, spelled, CTX) == AAL_MFA
    assert len(world.events(AuditEventType.MFA_RECOVERY_USED)) == 2


def test_recovery_codes_do_not_confirm_an_enrolment(world: World) -> None:
    enrolment = world.service.enrol(world.principal, CTX)
    with pytest.raises(InvalidCode):
        world.service.confirm(world.principal, enrolment.recovery_codes[0], CTX)


def test_another_accounts_recovery_code_is_refused(world: World) -> None:
    enrolment = world.enrolled()
    other = Account(
        id="b" * 32,
        email="adm@example.com",
        phone="+447700900124",
        role=Role.ADMIN,
        password_hash="x",
        created_at=world.clock.now(),
    )
    with world.db() as uow:
        uow.accounts.add(other)
        uow.commit()
    admin = Principal(other.id, Role.ADMIN, "t" * 32)
    theirs = world.service.enrol(admin, CTX)
    world.service.confirm(
        admin, world.totp.code_at(theirs.secret, MfaPolicy().step(world.clock.now())), CTX
    )
    with pytest.raises(InvalidCode):
        world.service.second_factor(other, enrolment.recovery_codes[0], CTX)
    assert world.service.second_factor(world.account, enrolment.recovery_codes[0], CTX) == AAL_MFA


def test_sessions_carry_the_level_into_their_tokens_and_refreshes(world: World) -> None:
    sessions = world.services.sessions
    with world.db() as uow:
        pair = sessions.start(uow, world.account, CTX, aal=AAL_MFA)
        uow.commit()
    assert sessions.authenticate(pair.access_token).has_staff_rights
    refreshed = sessions.refresh(pair.refresh_token, CTX)
    assert sessions.authenticate(refreshed.access_token).aal == AAL_MFA
    with world.db() as uow:
        password_only = sessions.start(uow, world.account, CTX)
        uow.commit()
    assert not sessions.authenticate(password_only.access_token).has_staff_rights


@pytest.mark.parametrize(
    "typed", ["\u0661\u0662\u0663\u0664\u0665\u0666", "\uff11" * 6, "12345\u00e9", "\u0000" * 6]
)
def test_non_ascii_codes_are_wrong_codes_not_crashes(world: World, typed: str) -> None:
    world.service.enrol(world.principal, CTX)
    with pytest.raises(InvalidCode):
        world.service.confirm(world.principal, typed, CTX)
