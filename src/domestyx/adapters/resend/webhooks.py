"""ResendWebhook: authenticate (Svix scheme) and read Resend's email events."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from domestyx.domain.model.delivery import DeliveryStatus, DeliveryUpdate
from domestyx.domain.model.errors import InvalidSignature

# Svix's own tolerance; a captured callback replayed later than this is refused.
TOLERANCE = timedelta(minutes=5)
_SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
# email.delivery_delayed, opened, clicked... say nothing final: no update.
_STATUSES = {
    "email.sent": DeliveryStatus.SENT,
    "email.delivered": DeliveryStatus.DELIVERED,
    "email.bounced": DeliveryStatus.BOUNCED,
    "email.complained": DeliveryStatus.FAILED,
    "email.failed": DeliveryStatus.FAILED,
    "email.suppressed": DeliveryStatus.FAILED,
}


class ResendWebhook:
    """Checks svix-id/-timestamp/-signature: HMAC-SHA256 of `{id}.{timestamp}.{body}`."""

    def __init__(
        self, signing_secret: str, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        try:
            self._key = base64.b64decode(signing_secret.removeprefix(_SECRET_PREFIX), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("the Resend signing secret must be whsec_<base64>") from exc
        if not self._key:
            raise ValueError("the Resend signing secret is empty")
        self._clock = clock  # e.g. ManualClock().now in tests

    def parse(self, *, url: str, headers: Mapping[str, str], body: bytes) -> list[DeliveryUpdate]:
        """The event's update, if it is one we track; the URL is not part of Svix's signature."""
        msg_id = self._verify({k.lower(): v for k, v in headers.items()}, body)
        try:
            event = json.loads(body)
        except ValueError:
            return []  # authentic but unreadable: nothing to apply, and a retry won't fix it
        return [attrs.evolve(update, event_id=msg_id) for update in _updates(event)]

    def _verify(self, headers: Mapping[str, str], body: bytes) -> str:
        """The svix-id of an authentic, fresh callback (the signature covers it)."""
        msg_id = headers.get("svix-id", "")
        stamp = headers.get("svix-timestamp", "")
        signatures = headers.get("svix-signature", "")
        if not (msg_id and stamp.isascii() and stamp.isdigit() and signatures):
            raise InvalidSignature("svix-id, svix-timestamp and svix-signature are required")
        age = self._clock().timestamp() - int(stamp)
        if abs(age) > TOLERANCE.total_seconds():
            raise InvalidSignature("the webhook timestamp is outside the 5 minute tolerance")
        signed = f"{msg_id}.{stamp}.".encode() + body
        expected = base64.b64encode(hmac.new(self._key, signed, hashlib.sha256).digest())
        for candidate in signatures.split():
            version, _, value = candidate.partition(",")
            if version == "v1" and hmac.compare_digest(expected, value.encode()):
                return msg_id
        raise InvalidSignature("no svix-signature matches")


def _updates(event: Any) -> list[DeliveryUpdate]:
    if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
        return []
    status = _STATUSES.get(str(event.get("type")))
    email_id = event["data"].get("email_id")
    if status is None or not isinstance(email_id, str) or not email_id:
        return []
    return [DeliveryUpdate(email_id, status, _error_code(str(event["type"]), event["data"]))]


def _error_code(kind: str, data: dict[str, Any]) -> str | None:
    """Operators' hint: the bounce type, the failure reason, or the event itself."""
    if kind == "email.bounced":
        bounce = _object(data, "bounce")
        return f"bounced:{bounce.get('type', 'unknown')}:{bounce.get('subType', 'unknown')}"
    if kind == "email.failed":
        return f"failed:{_object(data, 'failed').get('reason', 'unknown')}"
    if kind in ("email.complained", "email.suppressed"):
        return kind.removeprefix("email.")
    return None


def _object(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}
