"""Proof that a human is behind a request."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from domestyx.domain.model.captcha import CaptchaVerdict


@runtime_checkable
class CaptchaVerifier(Protocol):
    """Redeems a challenge token; raises DependencyUnavailable when it cannot ask."""

    def verify(self, token: str, *, remote_ip: str | None) -> CaptchaVerdict:
        """Redeem a token once."""
        ...
