"""Recording senders: the provider's memory, with idempotency and scripted failures."""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime

from domestyx.domain.model.delivery import DeliveryError, EmailMessage, ProviderReceipt, SmsMessage


class RecordingEmailSender:
    """Keeps every accepted email; an idempotency key is honoured like Resend does."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []
        self.failures: deque[DeliveryError] = deque()
        self.calls = 0  # every request the provider saw, refused or not
        self._by_key: dict[str, ProviderReceipt] = {}
        self._lock = threading.Lock()

    def send(self, message: EmailMessage, *, idempotency_key: str) -> ProviderReceipt:
        """Accept once per key; raise the next scripted failure first, if any."""
        with self._lock:
            self.calls += 1
            if self.failures:
                raise self.failures.popleft()
            if idempotency_key in self._by_key:
                return self._by_key[idempotency_key]
            receipt = ProviderReceipt(provider_id=f"email-{len(self.sent) + 1}")
            self.sent.append(message)
            self._by_key[idempotency_key] = receipt
            return receipt


class RecordingSmsSender:
    """Keeps every accepted SMS and can answer whether one was already accepted."""

    def __init__(self) -> None:
        self.sent: list[tuple[SmsMessage, datetime | None, ProviderReceipt]] = []
        self.failures: deque[DeliveryError] = deque()
        self._lock = threading.Lock()

    def send(self, message: SmsMessage) -> ProviderReceipt:
        """Accept, or raise the next scripted failure."""
        with self._lock:
            if self.failures:
                raise self.failures.popleft()
            receipt = ProviderReceipt(provider_id=f"SM{len(self.sent) + 1:032x}", status="queued")
            self.sent.append((message, None, receipt))
            return receipt

    def find_sent(self, message: SmsMessage, *, since: datetime) -> ProviderReceipt | None:
        """An earlier identical message, if the provider has one."""
        with self._lock:
            for sent, _, receipt in self.sent:
                if sent.to == message.to and sent.body == message.body:
                    return receipt
            return None

    @property
    def messages(self) -> list[SmsMessage]:
        """Accepted messages in order."""
        return [m for m, _, _ in self.sent]
