"""Outbound email and SMS."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from domestyx.domain.delivery import EmailMessage, ProviderReceipt, SmsMessage


@runtime_checkable
class EmailSender(Protocol):
    """Sends transactional email; raises TransientDeliveryError or PermanentDeliveryError."""

    def send(self, message: EmailMessage, *, idempotency_key: str) -> ProviderReceipt:
        """Send once per idempotency key, even when called again after a crash."""
        ...


@runtime_checkable
class SmsSender(Protocol):
    """Sends SMS; raises TransientDeliveryError or PermanentDeliveryError."""

    def send(self, message: SmsMessage) -> ProviderReceipt:
        """Hand the message to the provider."""
        ...

    def find_sent(self, message: SmsMessage, *, since: datetime) -> ProviderReceipt | None:
        """Ask the provider whether this exact message was already accepted (crash recovery)."""
        ...
