"""One-time codes: issue, resend and verify under a per-code attempt cap."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import attrs

from domestyx.domain.model.errors import (
    InvalidInput,
)
from domestyx.domain.model.keys import KeyedHasher
from domestyx.domain.model.lockouts import LockoutPolicy

if TYPE_CHECKING:
    pass


class Channel(enum.StrEnum):
    """How a code travels."""

    EMAIL = "email"
    SMS = "sms"


class Purpose(enum.StrEnum):
    """What a code proves; a code for one purpose never verifies another."""

    VERIFY_EMAIL = "verify_email"
    VERIFY_PHONE = "verify_phone"
    LOGIN = "login"
    RESET_PASSWORD = "reset_password"  # noqa: S105 - a purpose name, not a secret
    CHANGE_EMAIL = "change_email"
    CHANGE_PHONE = "change_phone"

    @property
    def via_otp_routes(self) -> bool:
        """Only these are redeemed by otp/verify; the others by their own flow's route."""
        return self in (Purpose.VERIFY_EMAIL, Purpose.VERIFY_PHONE, Purpose.LOGIN)

    def check_channel(self, channel: Channel) -> None:
        """Contact proofs must travel over the contact they prove."""
        required = {
            Purpose.VERIFY_EMAIL: Channel.EMAIL,
            Purpose.VERIFY_PHONE: Channel.SMS,
            Purpose.CHANGE_EMAIL: Channel.EMAIL,
            Purpose.CHANGE_PHONE: Channel.SMS,
        }
        if self in required and channel is not required[self]:
            raise InvalidInput(f"{self} codes are sent by {required[self]}", field="channel")


@attrs.frozen
class OtpPolicy:
    """The numbers of ARCHITECTURE.md; all configurable."""

    digits: int = 6
    valid_for: timedelta = timedelta(minutes=10)
    max_attempts: int = 5
    resend_cooldown: timedelta = timedelta(seconds=60)


@attrs.frozen
class OtpSlot:
    """The place one live code lives: a purpose and a destination, stored under a keyed hash."""

    purpose: Purpose
    destination: str

    def key(self, hasher: KeyedHasher) -> str:
        """Opaque store key; the destination never appears in the store in clear."""
        return hasher.digest("slot", self.purpose, self.destination)

    def code_hash(self, hasher: KeyedHasher, code: str) -> str:
        """HMAC-SHA256(key, purpose|destination|code), the only stored form of a code."""
        return hasher.digest(self.purpose, self.destination, code)


class IssueStatus(enum.StrEnum):
    """Outcome of an atomic issue in the store."""

    ISSUED = "issued"
    COOLDOWN = "cooldown"
    LOCKED = "locked"


@attrs.frozen
class IssueOutcome:
    """What the store did with an issue request."""

    status: IssueStatus
    retry_after: int = 0


class AttemptStatus(enum.StrEnum):
    """Outcome of registering one verification attempt."""

    MISSING = "missing"
    LOCKED = "locked"
    COUNTED = "counted"


@attrs.frozen
class AttemptOutcome:
    """The live challenge, once its attempt counter has been raised."""

    status: AttemptStatus
    code_hash: str = ""
    account_id: str | None = None
    attempts: int = 0
    retry_after: int = 0


@attrs.frozen
class IssuedCode:
    """A fresh code in clear: handed to delivery, never stored as is."""

    code: str = attrs.field(repr=False)
    expires_at: datetime


@attrs.frozen
class CodeLockout:
    """The code-entry lockout of one account: checked before a guess, fed by its outcome."""

    account_id: str
    failure_key: str  # the account's failure counter (FailureCounter key)
    known_key: str  # the caller's network, remembered as the owner's on success
    policy: LockoutPolicy = LockoutPolicy()


class CheckStatus(enum.StrEnum):
    """Outcome of one atomic code check."""

    LOCKED_OUT = "locked_out"  # the account's lockout refused the guess; nothing counted
    MISSING = "missing"  # no live code (or a malformed guess); nothing counted
    EXHAUSTED = "exhausted"  # the code's attempt cap is reached; nothing counted
    WRONG = "wrong"  # counted against the code, and against the lockout when it was its own
    MATCHED = "matched"  # the code is consumed (single use)


@attrs.frozen
class CheckOutcome:
    """What a check did; `bound_to` is the live code's account (WRONG and MATCHED)."""

    status: CheckStatus
    bound_to: str | None = None
    retry_after: int = 0
    policy: str = ""  # LOCKED_OUT: which lockout rule refused
    failures: int = 0  # WRONG and counted: the account's failure tally after this one

    @property
    def counted(self) -> bool:
        """Whether the guess was counted against the account's lockout."""
        return self.failures > 0
