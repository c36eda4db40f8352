"""Outbound messages as records: queued, sent once, then tracked through provider callbacks."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from domestyx.domain.model.otp import Channel


class DeliveryStatus(enum.StrEnum):
    """Lifecycle of one message; the last five are final."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    UNDELIVERED = "undelivered"
    BOUNCED = "bounced"
    EXPIRED = "expired"


FINAL_STATUSES = frozenset(
    {
        DeliveryStatus.DELIVERED,
        DeliveryStatus.FAILED,
        DeliveryStatus.UNDELIVERED,
        DeliveryStatus.BOUNCED,
        DeliveryStatus.EXPIRED,
    }
)
# Provider callbacks may only move a message forward along this order.
_RANK = {
    DeliveryStatus.QUEUED: 0,
    DeliveryStatus.SENDING: 1,
    DeliveryStatus.SENT: 2,
    DeliveryStatus.DELIVERED: 3,
    DeliveryStatus.FAILED: 3,
    DeliveryStatus.UNDELIVERED: 3,
    DeliveryStatus.BOUNCED: 3,
    DeliveryStatus.EXPIRED: 3,
}


class Template(enum.StrEnum):
    """What the message says."""

    OTP = "otp"
    SIGNUP_NOTICE = "signup_notice"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - a name, not a secret
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a name, not a secret
    EMAIL_CHANGED = "email_changed"
    PHONE_CHANGED = "phone_changed"


@attrs.frozen
class EmailMessage:
    """A transactional email with plain-text and HTML bodies."""

    to: str
    subject: str
    text: str = attrs.field(repr=False)
    html: str = attrs.field(repr=False)
    tags: tuple[tuple[str, str], ...] = ()


@attrs.frozen
class SmsMessage:
    """One SMS."""

    to: str
    body: str = attrs.field(repr=False)
    status_callback: str | None = None


@attrs.frozen
class ProviderReceipt:
    """The provider's id for an accepted message."""

    provider_id: str
    status: str = "sent"


class DeliveryError(Exception):
    """A provider refused or could not take a message."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


class TransientDeliveryError(DeliveryError):
    """Worth retrying: throttling, 5xx, timeouts, connection errors."""


class ProviderLimited(TransientDeliveryError):
    """The provider throttled us (HTTP 429): a rate limit, or a daily/monthly sending quota.

    `retry_after_s` is the provider's own Retry-After, when it gave one; `quota` names the
    exhausted quota ("daily", "monthly"), None for a plain rate limit.
    """

    def __init__(
        self,
        code: str,
        detail: str = "",
        *,
        retry_after_s: float | None = None,
        quota: str | None = None,
    ) -> None:
        super().__init__(code, detail)
        self.retry_after_s = retry_after_s
        self.quota = quota

    @property
    def reason(self) -> str:
        """What a pause for this refusal is called: `rate_limit`, `quota:daily`..."""
        return f"quota:{self.quota}" if self.quota else "rate_limit"


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help: invalid or unsubscribed recipient, rejected content."""


@attrs.define
class Delivery:
    """One message to one destination; holds a sealed code only until it is sent."""

    id: str
    channel: Channel
    template: Template
    destination: str
    created_at: datetime
    expires_at: datetime
    account_id: str | None = None
    purpose: str | None = None
    sealed_code: str | None = attrs.field(default=None, repr=False)
    status: DeliveryStatus = DeliveryStatus.QUEUED
    attempts: int = 0
    provider_id: str | None = None
    error_code: str | None = None
    sending_started_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def is_final(self) -> bool:
        """Nothing more will be sent."""
        return self.status in FINAL_STATUSES or self.status is DeliveryStatus.SENT

    @property
    def idempotency_key(self) -> str:
        """Stable across retries and restarts, so a provider sends it at most once."""
        return f"domestyx-delivery-{self.id}"

    def start_attempt(self, now: datetime) -> None:
        """Mark that a provider call is about to happen (the crash marker)."""
        self.attempts += 1
        self.status = DeliveryStatus.SENDING
        self.sending_started_at = self.sending_started_at or now
        self.updated_at = now

    def mark_sent(self, receipt: ProviderReceipt, now: datetime) -> None:
        """The provider accepted the message; the code is no longer needed."""
        self.status = DeliveryStatus.SENT
        self.provider_id = receipt.provider_id
        self.sealed_code = None
        self.updated_at = now

    def mark_failed(
        self, code: str, now: datetime, status: DeliveryStatus = DeliveryStatus.FAILED
    ) -> None:
        """Give up on the message and forget its code."""
        self.status = status
        self.error_code = code[:64]
        self.sealed_code = None
        self.updated_at = now

    def defer(self, code: str, now: datetime) -> None:
        """The provider refused to take it for now (a limit): back to waiting, nothing sent."""
        self.status = DeliveryStatus.QUEUED
        self.error_code = code[:64]
        self.updated_at = now

    def record_retry(self, code: str, now: datetime) -> None:
        """Keep the last transient error for operators."""
        self.error_code = code[:64]
        self.updated_at = now

    def apply_provider_status(
        self, status: DeliveryStatus, error_code: str | None, now: datetime
    ) -> bool:
        """Move forward on a provider callback; stale or backward callbacks change nothing."""
        if _RANK[status] < _RANK[self.status] or status is self.status:
            return False
        if self.status in FINAL_STATUSES:
            return False
        self.status = status
        if error_code:
            self.error_code = error_code[:64]
        self.sealed_code = None
        self.updated_at = now
        return True


@attrs.frozen
class DeliveryUpdate:
    """A provider's word on one message: delivered, bounced, failed..."""

    provider_id: str
    status: DeliveryStatus
    error_code: str | None = None
    # The provider's id for this callback (Svix id; Twilio MessageSid+status); replays share it.
    event_id: str | None = None
