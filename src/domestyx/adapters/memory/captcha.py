"""A scripted captcha fake for domain tests."""

from __future__ import annotations

from domestyx.domain.model.captcha import CaptchaVerdict


class ScriptedCaptchaVerifier:
    """A fake siteverify for domain tests: tokens map to verdicts; unknown tokens fail."""

    def __init__(self) -> None:
        self.verdicts: dict[str, CaptchaVerdict] = {}
        self.redeemed: set[str] = set()

    def verify(self, token: str, *, remote_ip: str | None) -> CaptchaVerdict:
        """Single use, like Turnstile."""
        if token in self.redeemed:
            return CaptchaVerdict(False, error_codes=("timeout-or-duplicate",))
        verdict = self.verdicts.get(token)
        if verdict is None:
            return CaptchaVerdict(False, error_codes=("invalid-input-response",))
        self.redeemed.add(token)
        return verdict
