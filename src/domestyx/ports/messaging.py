"""Outbound email and SMS."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol, runtime_checkable

from domestyx.domain.model.delivery import (
    DeliveryUpdate,
    EmailMessage,
    ProviderReceipt,
    SmsMessage,
)
from domestyx.domain.model.otp import Channel
from domestyx.domain.model.pauses import ChannelPause


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


@runtime_checkable
class DeliveryWebhook(Protocol):
    """Authenticates and reads a provider's delivery callback."""

    def parse(self, *, url: str, headers: Mapping[str, str], body: bytes) -> list[DeliveryUpdate]:
        """The updates in a callback; raise InvalidSignature unless it is signed by the provider."""
        ...


@runtime_checkable
class DeliveryPauses(Protocol):
    """Which channels wait for a provider limit to reset; shared by every worker."""

    def pause(self, pause: ChannelPause, *, now: datetime) -> bool:
        """Pause the channel until `pause.until` (extends, never shortens).

        True when this call started a pause of this reason (nothing of it was in force at
        `now`), so exactly one caller across all workers raises the alert.
        """
        ...

    def current(self, channel: Channel, *, now: datetime) -> ChannelPause | None:
        """The pause in force on `channel` at `now`, if any."""
        ...

    def resume(self, channel: Channel) -> bool:
        """Lift the channel's pause now (an operator raised the quota); True if one was lifted."""
        ...
