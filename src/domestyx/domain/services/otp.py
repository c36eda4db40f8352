"""Issue and verify one-time codes under a per-code attempt cap."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

import attrs

from domestyx.domain.model.errors import (
    CodeAttemptsExhausted,
    CodeExpired,
    InvalidCode,
    NoLiveCode,
    ResendTooSoon,
)
from domestyx.domain.model.keys import KeyedHasher
from domestyx.domain.model.otp import (
    AttemptStatus,
    CheckOutcome,
    CodeLockout,
    IssuedCode,
    IssueStatus,
    OtpPolicy,
    OtpSlot,
)

if TYPE_CHECKING:
    from domestyx.ports.clock import Clock
    from domestyx.ports.otp_store import CodeCheck, OtpStore
    from domestyx.ports.randomness import SecretGenerator


@attrs.frozen
class OtpService:
    """Issue and verify codes; attempts are counted before comparing, so guesses can't race."""

    store: OtpStore
    checks: CodeCheck
    secrets: SecretGenerator
    hasher: KeyedHasher
    clock: Clock
    policy: OtpPolicy = OtpPolicy()

    def cooldown_remaining(self, slot: OtpSlot) -> int:
        """Seconds until a resend is allowed (0 when allowed); read-only."""
        return self.store.cooldown_remaining(
            slot.key(self.hasher), now=self.clock.now(), cooldown=self.policy.resend_cooldown
        )

    def resend_cooldown(self, slot: OtpSlot) -> tuple[str, timedelta]:
        """The slot's store key and resend cooldown, for a guard to peek at with its limits."""
        return slot.key(self.hasher), self.policy.resend_cooldown

    def is_live(self, slot: OtpSlot, code: str) -> bool:
        """Whether `code` is still the slot's live code (so sending it is worth anything)."""
        return self.store.holds(
            slot.key(self.hasher), slot.code_hash(self.hasher, code), now=self.clock.now()
        )

    def issue(self, slot: OtpSlot, account_id: str | None) -> IssuedCode:
        """Replace the slot's code; misses are kept, a locked slot stays locked until it expires."""
        code = self.secrets.numeric_code(self.policy.digits)
        now = self.clock.now()
        outcome = self.store.issue(
            slot.key(self.hasher),
            slot.code_hash(self.hasher, code),
            account_id=account_id,
            now=now,
            valid_for=self.policy.valid_for,
            cooldown=self.policy.resend_cooldown,
            max_attempts=self.policy.max_attempts,
        )
        if outcome.status is IssueStatus.COOLDOWN:
            raise ResendTooSoon(retry_after=outcome.retry_after)
        if outcome.status is IssueStatus.LOCKED:
            raise CodeAttemptsExhausted(retry_after=outcome.retry_after)
        return IssuedCode(code=code, expires_at=now + self.policy.valid_for)

    def check(self, slot: OtpSlot, code: str, lockout: CodeLockout | None) -> CheckOutcome:
        """One atomic guess under the account's lockout: judged, counted, consumed or failed.

        A malformed code is no guess at anything: only the lockout is asked about it.
        """
        return self.checks.check(
            slot.key(self.hasher),
            slot.code_hash(self.hasher, code) if self.well_formed(code) else None,
            now=self.clock.now(),
            max_attempts=self.policy.max_attempts,
            lockout=lockout,
        )

    def well_formed(self, code: str) -> bool:
        """Looks like a code at all (so an empty slot means it expired, not a typo)."""
        return len(code) == self.policy.digits and code.isascii() and code.isdigit()

    def verify(
        self, slot: OtpSlot, code: str, *, before_use: Callable[[str | None], None] | None = None
    ) -> str | None:
        """Return the account bound to the code, consuming it; raise on any failure.

        `before_use` sees the bound account once the code matched; if it raises, the code
        is not consumed (so a refusal it makes never costs the person their code).
        NoLiveCode when nothing was there to guess at; InvalidCode names the live code's account.
        """
        if not self.well_formed(code):
            raise NoLiveCode  # not a guess at anything: the slot is not even asked
        key = slot.key(self.hasher)
        attempt = self.store.register_attempt(
            key, now=self.clock.now(), max_attempts=self.policy.max_attempts
        )
        if attempt.status is AttemptStatus.LOCKED:
            raise CodeAttemptsExhausted(retry_after=attempt.retry_after)
        if attempt.status is AttemptStatus.MISSING:
            raise CodeExpired  # expired, used, or lost with the store: only a new code helps
        if not self.hasher.matches(attempt.code_hash, slot.purpose, slot.destination, code):
            raise InvalidCode(bound_to=attempt.account_id)
        if before_use is not None:
            before_use(attempt.account_id)
        # Single use: of two concurrent correct guesses only the one that deletes the code wins.
        if not self.store.consume(key, attempt.code_hash):
            raise InvalidCode(bound_to=attempt.account_id)
        return attempt.account_id
