"""OTP invariants, as a state machine checked against a model of the policy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from domestyx.adapters.memory.clock import ManualClock
from domestyx.adapters.memory.otp_store import InMemoryOtpStore
from domestyx.adapters.memory.randomness import SeededSecretGenerator
from domestyx.domain.model.errors import CodeAttemptsExhausted, InvalidCode, ResendTooSoon
from domestyx.domain.model.keys import KeyedHasher
from domestyx.domain.model.otp import OtpSlot, Purpose
from domestyx.domain.services.otp import OtpService
from domestyx.ports.otp_store import OtpStore
from tests.support.worlds import Fakes, fake_services

SLOT = OtpSlot(Purpose.VERIFY_PHONE, "+447700900123")
OTHERS = [
    OtpSlot(Purpose.VERIFY_EMAIL, "+447700900123"),
    OtpSlot(Purpose.VERIFY_PHONE, "+447700900124"),
    OtpSlot(Purpose.LOGIN, "+447700900123"),
]


def _otp(clock: ManualClock, secrets: SeededSecretGenerator) -> OtpService:
    """The root's OtpService over a fresh in-memory store."""
    overrides = {OtpStore: InMemoryOtpStore(), KeyedHasher: KeyedHasher(b"k" * 32)}
    return fake_services(Fakes(clock=clock, secrets=secrets), overrides).otp


class OtpMachine(RuleBasedStateMachine):
    """Random issue / resend / guess / wait sequences; the service must agree with the model."""

    @initialize()
    def setup(self) -> None:
        self.clock = ManualClock()
        self.secrets = SeededSecretGenerator(7)
        self.service = _otp(self.clock, self.secrets)
        self.code: str | None = None
        self.attempts = 0
        self.expires = self.sent = self.clock.now()
        self.used_codes: list[str] = []

    def live(self) -> bool:
        return self.code is not None and self.clock.now() < self.expires

    @rule()
    def issue(self) -> None:
        now, policy = self.clock.now(), self.service.policy
        if self.live() and self.attempts >= policy.max_attempts:
            with pytest.raises(CodeAttemptsExhausted):
                self.service.issue(SLOT, "acct")
            return
        if self.live() and now < self.sent + policy.resend_cooldown:
            with pytest.raises(ResendTooSoon):
                self.service.issue(SLOT, "acct")
            return
        if not self.live():
            self.attempts = 0
        issued = self.service.issue(SLOT, "acct")
        if self.code:
            self.used_codes.append(self.code)
        self.code, self.sent, self.expires = issued.code, now, now + policy.valid_for

    @rule(seconds=st.sampled_from([1, 30, 61, 200, 601]))
    def wait(self, seconds: int) -> None:
        self.clock.advance(seconds)

    @rule(right=st.booleans(), old=st.booleans())
    def guess(self, right: bool, old: bool) -> None:
        code = (
            self.code
            if right and self.code
            else (self.used_codes[-1] if old and self.used_codes else "000000")
        )
        would_succeed = (
            self.live() and self.attempts < self.service.policy.max_attempts and code == self.code
        )
        if self.live() and self.attempts >= self.service.policy.max_attempts:
            with pytest.raises(CodeAttemptsExhausted):
                self.service.verify(SLOT, code)
            return
        if would_succeed:
            assert self.service.verify(SLOT, code) == "acct"
            self.used_codes.append(code)
            self.code = None
            return
        with pytest.raises(InvalidCode):
            self.service.verify(SLOT, code)
        if self.live():
            self.attempts += 1  # misses count, and a resend does not reset them

    @rule(index=st.integers(min_value=0, max_value=len(OTHERS) - 1))
    def guess_elsewhere(self, index: int) -> None:
        """The live code never proves another purpose or destination."""
        if self.code is not None:
            with pytest.raises((InvalidCode, CodeAttemptsExhausted)):
                self.service.verify(OTHERS[index], self.code)


TestOtpStateMachine = OtpMachine.TestCase
TestOtpStateMachine.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)


def _service() -> tuple[OtpService, ManualClock, SeededSecretGenerator]:
    clock, secrets = ManualClock(), SeededSecretGenerator(1)
    return _otp(clock, secrets), clock, secrets


@settings(max_examples=100, deadline=None)
@given(late=st.integers(min_value=0, max_value=10_000))
def test_codes_never_verify_after_expiry(late: int) -> None:
    service, clock, _ = _service()
    code = service.issue(SLOT, "acct").code
    clock.advance(service.policy.valid_for + timedelta(seconds=late))
    with pytest.raises(InvalidCode):
        service.verify(SLOT, code)


def test_five_misses_across_resends_lock_the_slot() -> None:
    service, clock, _ = _service()
    service.issue(SLOT, "acct")
    for _ in range(3):
        with pytest.raises(InvalidCode):
            service.verify(SLOT, "000000")
    clock.advance(61)
    code = service.issue(SLOT, "acct").code  # a resend keeps the three misses
    for _ in range(2):
        with pytest.raises(InvalidCode):
            service.verify(SLOT, "000000")
    with pytest.raises(CodeAttemptsExhausted):
        service.verify(SLOT, code)


def test_codes_are_six_digits_and_stored_only_as_keyed_hashes() -> None:
    service, _, _ = _service()
    store = service.store
    code = service.issue(SLOT, "acct").code
    assert len(code) == 6 and code.isdigit()
    stored = store._slots  # type: ignore[attr-defined]
    assert code not in repr(stored)
    assert all(SLOT.destination not in key for key in stored)
