"""ResendEmailSender: transactional email through the official resend SDK."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import requests
import resend
from resend.exceptions import NoContentError, ResendError
from resend.http_client import HTTPClient

from domestyx.domain.model.delivery import (
    EmailMessage,
    PermanentDeliveryError,
    ProviderLimited,
    ProviderReceipt,
    TransientDeliveryError,
)
from domestyx.domain.model.pauses import retry_after_from_headers

# The SDK reads its API key, base URL and transport from module globals in the middle of each
# call, so two senders (or a test beside the app) could otherwise cross keys or endpoints.
# Calls are therefore serialised; Resend admits about 2 requests/s per team, so a single lane
# per process costs no real throughput.
_SDK_LOCK = threading.Lock()
# The SDK wraps any transport failure (refused, reset, timed out) under this error type.
_TRANSPORT_FAILURE = "HttpClientError"
# Same key already in flight: the first call's answer arrives on a retry.
_RETRYABLE_CONFLICT = "concurrent_idempotent_requests"
# Resend's 429 names (contracts/README.md): a sending quota, not a momentary rate limit.
_QUOTAS = {"daily_quota_exceeded": "daily", "monthly_quota_exceeded": "monthly"}


class _PooledTransport(HTTPClient):
    """The SDK's requests transport with our timeout and a kept-alive session."""

    def __init__(self, timeout_s: float) -> None:
        self._timeout = timeout_s
        self._session = requests.Session()

    def request(  # noqa: PLR0917 - the SDK's HTTPClient signature, called positionally
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        json: dict[str, object] | list[object] | None = None,
        files: dict[str, Any] | None = None,
        data: dict[str, str] | None = None,
    ) -> tuple[bytes, int, Mapping[str, str]]:
        """One HTTP exchange; failures propagate for the SDK to wrap."""
        # The SDK hands over plain JSON values; requests' JsonType alias is just narrower.
        body: Any = json if data is None else None
        response = self._session.request(
            method, url, headers=dict(headers), json=body, files=files, data=data,
            timeout=self._timeout,
        )  # fmt: skip
        return response.content, response.status_code, response.headers


class ResendEmailSender:
    """Sends one email per idempotency key; Resend answers a repeated key with the first id."""

    def __init__(
        self,
        api_key: str,
        sender: str,
        *,
        api_url: str = "https://api.resend.com",
        reply_to: str | None = None,
        timeout_s: float = 10,
    ) -> None:
        self._api_key = api_key
        self._sender = sender
        self._api_url = api_url.rstrip("/")
        self._reply_to = reply_to
        self._transport = _PooledTransport(timeout_s)

    def send(self, message: EmailMessage, *, idempotency_key: str) -> ProviderReceipt:
        """POST /emails once; raise Transient or PermanentDeliveryError on refusal."""
        params = self._params(message)
        try:
            with _SDK_LOCK:
                resend.api_key = self._api_key
                resend.api_url = self._api_url
                resend.default_http_client = self._transport
                response = resend.Emails.send(params, {"idempotency_key": idempotency_key})
        except ResendError as exc:
            raise _delivery_error(exc) from exc
        except NoContentError as exc:  # a JSON null body
            raise _malformed() from exc
        provider_id = response.get("id") if isinstance(response, Mapping) else None
        if not isinstance(provider_id, str) or not provider_id:
            raise _malformed()
        return ProviderReceipt(provider_id=provider_id)

    def _params(self, message: EmailMessage) -> resend.Emails.SendParams:
        params: resend.Emails.SendParams = {
            "from": self._sender,
            "to": [message.to],
            "subject": message.subject,
            "text": message.text,
            "html": message.html,
        }
        if message.tags:
            params["tags"] = [{"name": name, "value": value} for name, value in message.tags]
        if self._reply_to:
            params["reply_to"] = self._reply_to
        return params


def _malformed() -> TransientDeliveryError:
    # Safe to retry: the idempotency key makes Resend answer with the same email.
    return TransientDeliveryError("resend:malformed-response", "no email id in the answer")


def _delivery_error(exc: ResendError) -> TransientDeliveryError | PermanentDeliveryError:
    """Throttling, 5xx and transport failures are worth retrying; other refusals are not."""
    if exc.error_type == _TRANSPORT_FAILURE:
        timed_out = isinstance(exc.__context__, requests.Timeout)
        return TransientDeliveryError("resend:timeout" if timed_out else "resend:network", str(exc))
    try:
        status = int(exc.code)
    except (TypeError, ValueError):
        status = 500
    code = f"resend:{status}:{exc.error_type}"
    if status == 429:
        return ProviderLimited(
            code,
            exc.message,
            retry_after_s=retry_after_from_headers(exc.headers),
            quota=_QUOTAS.get(exc.error_type),
        )
    if status >= 500 or exc.error_type == _RETRYABLE_CONFLICT:
        return TransientDeliveryError(code, exc.message)
    return PermanentDeliveryError(code, exc.message)
