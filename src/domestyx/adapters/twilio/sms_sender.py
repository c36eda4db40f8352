"""TwilioSmsSender: SMS through the official twilio SDK, plus the crash-recovery lookup."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.base.version import Version
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from domestyx.domain.model.delivery import (
    DeliveryError,
    PermanentDeliveryError,
    ProviderLimited,
    ProviderReceipt,
    SmsMessage,
    TransientDeliveryError,
)
from domestyx.domain.model.pauses import retry_after_from_headers

# Refused with a 4xx, yet worth retrying: throttled, or the sender's queue is full (it drains).
_TRANSIENT_CODES = frozenset({20429, 21611})
# One recipient gets a handful of texts in the lookback window; never walk an unbounded history.
_LOOKUP_LIMIT = 100


class _HeaderKeepingClient(TwilioHttpClient):  # type: ignore[misc]  # the SDK is untyped
    """The SDK's client, remembering each thread's last answer headers (its errors drop them)."""

    def __init__(self, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self._seen = threading.local()

    def request(self, *args: Any, **kwargs: Any) -> Response:
        """One exchange; the headers stay readable by this thread until its next call."""
        self._seen.headers = {}
        response = super().request(*args, **kwargs)
        self._seen.headers = dict(response.headers or {})
        return response

    def last_headers(self) -> Mapping[str, str]:
        """Headers of this thread's last answer ({} before any)."""
        return getattr(self._seen, "headers", {})


class TwilioSmsSender:
    """Sends from one number or one Messaging Service; finds an accepted twin after a crash."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        from_number: str | None = None,
        messaging_service_sid: str | None = None,
        api_base_url: str | None = None,
        timeout_s: float = 10,
    ) -> None:
        if bool(from_number) == bool(messaging_service_sid):
            raise ValueError("give exactly one of from_number or messaging_service_sid")
        self._sender: dict[str, str] = (
            {"from_": from_number}
            if from_number
            else {"messaging_service_sid": str(messaging_service_sid)}
        )
        # The SDK's default client has no timeout at all; a hung socket would stall a worker.
        http = _HeaderKeepingClient(timeout_s)
        self._http = http
        self._client = Client(account_sid, auth_token, http_client=http)
        if api_base_url:
            # Read on every call (Domain.absolute_url); edge/region can only rename *.twilio.com.
            self._client.api.base_url = api_base_url.rstrip("/")

    def send(self, message: SmsMessage) -> ProviderReceipt:
        """POST Messages.json; raise Transient or PermanentDeliveryError on refusal."""
        options: dict[str, str] = dict(self._sender)
        if message.status_callback:
            options["status_callback"] = message.status_callback
        with _as_delivery_errors(self._http.last_headers):
            created = self._client.messages.create(to=message.to, body=message.body, **options)
        return _receipt(created)

    def find_sent(self, message: SmsMessage, *, since: datetime) -> ProviderReceipt | None:
        """The newest outbound message to the same number with exactly this body, if any.

        No DateSent filter: Twilio stamps date_sent only when a message leaves its queue, and
        a message still queued must be found too, or the retry would send a second copy. The
        newest messages to one number come first, so a short page suffices.
        """
        after = since.astimezone(UTC).replace(microsecond=0)
        with _as_delivery_errors(self._http.last_headers):
            for sent in self._client.messages.stream(
                to=message.to, limit=_LOOKUP_LIMIT, page_size=50
            ):
                if sent.body == message.body and _created_since(sent, after):
                    return _receipt(sent)
        return None


def _created_since(sent: Any, after: datetime) -> bool:
    # Only messages created since the first attempt can be this delivery's.
    created = sent.date_created
    return not isinstance(created, datetime) or created >= after


def _receipt(resource: Any) -> ProviderReceipt:
    sid = resource.sid
    if not isinstance(sid, str) or not sid:
        raise TransientDeliveryError("twilio:malformed-response", "no sid in the answer")
    return ProviderReceipt(provider_id=sid, status=str(resource.status or "queued"))


@contextmanager
def _as_delivery_errors(headers: Callable[[], Mapping[str, str]]) -> Iterator[None]:
    """Translate SDK and transport failures; requests' own exceptions reach us unwrapped."""
    try:
        yield
    except TwilioRestException as exc:
        raise _limited(exc.status, headers()) or _refusal(exc.status, exc.code, exc.msg) from exc
    except TwilioServiceException as exc:  # the RFC 9457 shape (str() is ANSI-coloured)
        detail = exc.detail or exc.title
        raise _limited(exc.status, headers()) or _refusal(exc.status, exc.code, detail) from exc
    except TwilioException as exc:
        raise _page_refusal(exc) from exc
    except requests.Timeout as exc:
        raise TransientDeliveryError("twilio:timeout", str(exc)) from exc
    except requests.RequestException as exc:
        raise TransientDeliveryError("twilio:network", str(exc)) from exc
    except ValueError as exc:  # the answer was not JSON (a proxy's error page, a cut stream)
        raise TransientDeliveryError("twilio:malformed-response", str(exc)) from exc


def _limited(status: int, headers: Mapping[str, str]) -> ProviderLimited | None:
    """A 429 that says when to come back (Retry-After) pauses SMS for that long."""
    wait = retry_after_from_headers(headers)
    if status != 429 or wait is None:
        return None
    return ProviderLimited("twilio:20429", "too many requests", retry_after_s=wait)


def _refusal(status: int, code: int | None, detail: str) -> DeliveryError:
    """429, 5xx and the queue-full codes are transient; any other 4xx is final."""
    twilio_code = code or status
    name = f"twilio:{twilio_code}"
    if 400 <= status < 500 and status != 429 and twilio_code not in _TRANSIENT_CODES:
        return PermanentDeliveryError(name, detail)
    return TransientDeliveryError(name, detail)


def _page_refusal(exc: TwilioException) -> DeliveryError:
    """A list page that was not 200 arrives as TwilioException(message, response)."""
    response = exc.args[1] if len(exc.args) > 1 else None
    if response is None or not hasattr(response, "status_code"):
        return TransientDeliveryError("twilio:malformed-response", str(exc))
    parsed = Version.exception("GET", "Messages.json", response, "Unable to fetch page")
    detail = parsed.msg if isinstance(parsed, TwilioRestException) else parsed.title
    return _refusal(int(parsed.status), parsed.code, detail)
