"""TurnstileCaptchaVerifier: redeem a token once, fail closed when Cloudflare can't be asked."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import httpx

from domestyx.domain.model.captcha import CaptchaVerdict
from domestyx.domain.model.errors import DependencyUnavailable

log = logging.getLogger("domestyx.turnstile")
SITEVERIFY_URL = "https://challenges.cloudflare.com/turnstile/v0/siteverify"


class TurnstileCaptchaVerifier:
    """One retry with the same idempotency key, so a retried check doesn't spend the token twice."""

    def __init__(
        self,
        secret: str,
        *,
        siteverify_url: str = SITEVERIFY_URL,
        timeout_s: float = 3.0,
        client: httpx.Client | None = None,
    ) -> None:
        self._secret = secret
        self._url = siteverify_url
        self._client = client or httpx.Client(timeout=timeout_s)

    def verify(self, token: str, *, remote_ip: str | None) -> CaptchaVerdict:
        """Ask siteverify; network failure or a 5xx twice is DependencyUnavailable, never a pass."""
        form = {"secret": self._secret, "response": token, "idempotency_key": str(uuid.uuid4())}
        if remote_ip:
            form["remoteip"] = remote_ip
        last_error = "no answer"
        for _ in range(2):
            try:
                data = self._post(form)
            except (httpx.HTTPError, ValueError, TypeError) as exc:
                last_error = type(exc).__name__
                continue
            codes = tuple(str(c) for c in data.get("error-codes") or ())
            if "internal-error" in codes:
                last_error = "internal-error"
                continue
            return CaptchaVerdict(
                success=data.get("success") is True,
                hostname=data.get("hostname"),
                action=data.get("action") or None,
                error_codes=codes,
            )
        log.warning("turnstile siteverify unavailable", extra={"reason": last_error})
        raise DependencyUnavailable(
            "the anti-bot check is unavailable; try again", dependency="turnstile"
        )

    def _post(self, form: dict[str, str]) -> dict[str, Any]:
        response = self._client.post(self._url, data=form)
        if response.status_code >= 500:
            raise httpx.HTTPStatusError(
                "siteverify 5xx", request=response.request, response=response
            )
        data = response.json()
        if not isinstance(data, dict):
            raise TypeError("siteverify answered a non-object")
        return data
