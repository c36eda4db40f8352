"""Proof that a human is behind a request."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import attrs


@attrs.frozen
class CaptchaVerdict:
    """What the challenge provider said about one token."""

    success: bool
    hostname: str | None = None
    action: str | None = None
    error_codes: tuple[str, ...] = ()


@runtime_checkable
class CaptchaVerifier(Protocol):
    """Redeems a challenge token; raises DependencyUnavailable when it cannot ask."""

    def verify(self, token: str, *, remote_ip: str | None) -> CaptchaVerdict:
        """Redeem a token once."""
        ...
