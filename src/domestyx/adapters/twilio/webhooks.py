"""TwilioStatusWebhook: authenticate and read Twilio's message StatusCallback."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qs

from twilio.request_validator import RequestValidator

from domestyx.domain.model.delivery import DeliveryStatus, DeliveryUpdate
from domestyx.domain.model.errors import InvalidSignature

_SIGNATURE_HEADER = "x-twilio-signature"
# accepted/scheduled/read/receiving/received/canceled say nothing about delivery: ignored.
_STATUSES = {
    "queued": DeliveryStatus.SENT,
    "sending": DeliveryStatus.SENT,
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "undelivered": DeliveryStatus.UNDELIVERED,
    "failed": DeliveryStatus.FAILED,
}


class _Form(dict[str, list[str]]):
    """Repeated form keys, in the getlist() shape RequestValidator signs every value of."""

    def getlist(self, name: str) -> list[str]:
        """Every value sent under the name."""
        return self[name]


class TwilioStatusWebhook:
    """Checks X-Twilio-Signature (HMAC-SHA1 keyed with the auth token) over URL and form."""

    def __init__(self, auth_token: str) -> None:
        self._validator = RequestValidator(auth_token)
        self._has_token = bool(auth_token)

    def parse(self, *, url: str, headers: Mapping[str, str], body: bytes) -> list[DeliveryUpdate]:
        """One update per callback; `url` must be the public URL Twilio called, query included."""
        signature = {k.lower(): v for k, v in headers.items()}.get(_SIGNATURE_HEADER, "")
        try:
            form = _Form(parse_qs(body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError as exc:
            raise InvalidSignature("the callback body is not form data") from exc
        if not (self._has_token and signature and self._validator.validate(url, form, signature)):
            raise InvalidSignature("X-Twilio-Signature is missing or does not match")
        sid = _first(form, "MessageSid") or _first(form, "SmsSid")
        raw_status = _first(form, "MessageStatus") or _first(form, "SmsStatus") or ""
        status = _STATUSES.get(raw_status)
        if not sid or status is None:
            return []
        error = _first(form, "ErrorCode")
        # Twilio gives a callback no id of its own: one message reaches one status once.
        return [
            DeliveryUpdate(
                sid, status, f"twilio:{error}" if error else None, event_id=f"{sid}:{raw_status}"
            )
        ]


def _first(form: _Form, name: str) -> str | None:
    values = form.get(name)
    return values[0] if values else None
