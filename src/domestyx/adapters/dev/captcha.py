"""Embedded default captcha: Cloudflare's documented test-secret behaviour, without a network."""

from __future__ import annotations

import threading

from domestyx.domain.model.captcha import CaptchaVerdict

DUMMY_TOKEN = "XXXX.DUMMY.TOKEN.XXXX"  # noqa: S105 - Cloudflare's public test token
ALWAYS_PASS = "1x0000000000000000000000000000000AA"  # noqa: S105
ALWAYS_FAIL = "2x0000000000000000000000000000000AA"
ALREADY_SPENT = "3x0000000000000000000000000000000AA"


class TestSecretCaptchaVerifier:
    """Behaves as siteverify does for a test secret: only the dummy token can pass."""

    __test__ = False  # not a pytest class
    SECRETS = frozenset({ALWAYS_PASS, ALWAYS_FAIL, ALREADY_SPENT})

    def __init__(self, secret: str = ALWAYS_PASS, *, hostname: str = "localhost") -> None:
        if secret not in (ALWAYS_PASS, ALWAYS_FAIL, ALREADY_SPENT):
            raise ValueError("the embedded captcha accepts only Cloudflare's test secrets")
        self.secret = secret
        self.hostname = hostname
        self.calls: list[tuple[str, str | None]] = []
        self._lock = threading.Lock()

    def verify(self, token: str, *, remote_ip: str | None) -> CaptchaVerdict:
        """Test secrets accept only the dummy token; an empty action means any action passes."""
        with self._lock:
            self.calls.append((token, remote_ip))
        if self.secret == ALWAYS_FAIL:
            return CaptchaVerdict(False, error_codes=("invalid-input-response",))
        if self.secret == ALREADY_SPENT:
            return CaptchaVerdict(False, error_codes=("timeout-or-duplicate",))
        if token != DUMMY_TOKEN:
            return CaptchaVerdict(False, error_codes=("invalid-input-response",))
        return CaptchaVerdict(True, hostname=self.hostname, action=None)
