"""A second factor for sign-in: TOTP (RFC 6238) with single-use recovery codes."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta

import attrs

AAL_PASSWORD = 1  # NIST SP 800-63B assurance levels: one factor ...
AAL_MFA = 2  # ... and two
AMR = {AAL_PASSWORD: ("pwd",), AAL_MFA: ("pwd", "otp", "mfa")}  # RFC 8176 method names


@attrs.frozen
class MfaPolicy:
    """TOTP parameters (the authenticator app defaults) and how guessing is bounded."""

    issuer: str = "DomestyX"
    period: int = 30
    digits: int = 6
    window: int = 1  # steps accepted either side of now, for clock drift
    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)
    recovery_codes: int = 10
    recovery_entropy: int = 10  # bytes: 80 bits per code

    def step(self, now: datetime) -> int:
        """The RFC 6238 time step that holds `now`."""
        return int(now.timestamp()) // self.period

    def candidates(self, now: datetime, last_step: int) -> list[int]:
        """Steps a code may match: the window around now, none at or before the last used."""
        current = self.step(now)
        steps = range(current - self.window, current + self.window + 1)
        return [step for step in steps if step > last_step]


@attrs.define
class TotpCredential:
    """An account's authenticator secret, sealed; active once a first code confirmed it."""

    account_id: str
    sealed_secret: str = attrs.field(repr=False)
    created_at: datetime
    confirmed_at: datetime | None = None
    last_step: int = -1  # the newest step accepted: that code and older ones are spent

    @property
    def active(self) -> bool:
        """Confirmed: sign-in now asks for a code."""
        return self.confirmed_at is not None


@attrs.define
class RecoveryCode:
    """One single-use recovery code, stored only as a keyed hash."""

    id: str
    account_id: str
    code_hash: str
    created_at: datetime
    used_at: datetime | None = None


@attrs.frozen
class Enrolment:
    """What the person sees once, at enrolment: the secret, its URI and the recovery codes."""

    secret: str = attrs.field(repr=False)
    otpauth_uri: str = attrs.field(repr=False)
    recovery_codes: tuple[str, ...] = attrs.field(repr=False)


def recovery_code(token: str, nbytes: int = 10) -> str:
    """A readable code from a random token: lowercase base32 in groups of four.

    The token's bytes are condensed by SHA-256 so the code does not depend on how the
    SecretGenerator port encodes them; `nbytes` (at most the token's entropy) are kept.
    """
    raw = hashlib.sha256(token.encode()).digest()[:nbytes]
    letters = base64.b32encode(raw).decode().rstrip("=").lower()
    return "-".join(letters[i : i + 4] for i in range(0, len(letters), 4))


def normalize_code(code: str) -> str:
    """What a typed code is compared as: no spaces or dashes, lowercase."""
    return "".join(c for c in code.strip().lower() if c not in " -")


def is_totp_code(code: str, policy: MfaPolicy) -> bool:
    """Six ASCII digits (after normalisation); anything else is tried as a recovery code."""
    return len(code) == policy.digits and code.isascii() and code.isdigit()
