"""Dev outbox: messages land in a JSON-lines file (and the /dev/outbox page), not a provider."""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import attrs

from domestyx.domain.model.delivery import EmailMessage, ProviderReceipt, SmsMessage
from domestyx.domain.model.otp import Channel


@attrs.frozen
class OutboxEntry:
    """One message as a provider would have taken it."""

    channel: Channel
    to: str
    subject: str | None
    body: str = attrs.field(repr=False)
    created_at: datetime
    provider_id: str
    html: str | None = attrs.field(default=None, repr=False)
    idempotency_key: str | None = None


class FileOutbox:
    """Append-only JSON lines; one lock, as the embedded default runs in one process."""

    def __init__(
        self, path: Path, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._path = Path(path)
        self._clock = clock  # e.g. ManualClock().now in tests
        self._lock = threading.Lock()

    def record(
        self,
        channel: Channel,
        to: str,
        body: str,
        *,
        subject: str | None = None,
        html: str | None = None,
        idempotency_key: str | None = None,
    ) -> OutboxEntry:
        """Append a message; a known idempotency key returns the first entry and writes nothing."""
        with self._lock:
            if idempotency_key is not None:
                for earlier in self._read():
                    if earlier.idempotency_key == idempotency_key:
                        return earlier
            entry = OutboxEntry(
                channel=channel, to=to, subject=subject, body=body, created_at=self._clock(),
                provider_id=_provider_id(channel), html=html, idempotency_key=idempotency_key,
            )  # fmt: skip
            _append_line(self._path, json.dumps(_to_json(entry), ensure_ascii=False).encode())
            return entry

    def entries(self, limit: int = 100) -> list[OutboxEntry]:
        """The newest `limit` messages, newest first."""
        with self._lock:
            return list(reversed(self._read()))[:limit]

    def find(self, predicate: Callable[[OutboxEntry], bool]) -> OutboxEntry | None:
        """The newest message matching the predicate."""
        with self._lock:
            return next((e for e in reversed(self._read()) if predicate(e)), None)

    def _read(self) -> list[OutboxEntry]:
        if not self._path.exists():
            return []
        entries = []
        with self._path.open(encoding="utf-8") as lines:
            for line in lines:
                try:
                    entries.append(_from_json(json.loads(line)))
                except (ValueError, KeyError, TypeError):
                    continue  # a line cut short by a crash is not worth refusing the rest
        return entries


class OutboxEmailSender:
    """EmailSender into the outbox; honours idempotency keys the way Resend does."""

    def __init__(self, outbox: FileOutbox) -> None:
        self._outbox = outbox

    def send(self, message: EmailMessage, *, idempotency_key: str) -> ProviderReceipt:
        """Write once per key; a repeated key returns the first receipt."""
        entry = self._outbox.record(
            Channel.EMAIL, message.to, message.text, subject=message.subject, html=message.html,
            idempotency_key=idempotency_key,
        )  # fmt: skip
        return ProviderReceipt(provider_id=entry.provider_id)


class OutboxSmsSender:
    """SmsSender into the outbox; find_sent reads it back like Twilio's message list."""

    def __init__(self, outbox: FileOutbox) -> None:
        self._outbox = outbox

    def send(self, message: SmsMessage) -> ProviderReceipt:
        """Write the message."""
        entry = self._outbox.record(Channel.SMS, message.to, message.body)
        return ProviderReceipt(provider_id=entry.provider_id, status="queued")

    def find_sent(self, message: SmsMessage, *, since: datetime) -> ProviderReceipt | None:
        """The newest identical message written since `since`."""
        entry = self._outbox.find(
            lambda e: (
                e.channel is Channel.SMS
                and e.to == message.to
                and e.body == message.body
                and e.created_at >= since
            )
        )
        return ProviderReceipt(provider_id=entry.provider_id, status="queued") if entry else None


def _append_line(path: Path, line: bytes) -> None:
    """Append one line; a line torn by an earlier crash is closed first, so this one survives."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+b") as out:
        end = out.seek(0, os.SEEK_END)
        if end:
            out.seek(end - 1)
            if out.read(1) != b"\n":
                line = b"\n" + line
        out.write(line + b"\n")


def _provider_id(channel: Channel) -> str:
    # Shaped like the real providers' ids (Resend: a UUID; Twilio: SM + 32 hex).
    return str(uuid.uuid4()) if channel is Channel.EMAIL else f"SM{uuid.uuid4().hex}"


def _to_json(entry: OutboxEntry) -> dict[str, str | None]:
    return {
        "channel": entry.channel.value,
        "to": entry.to,
        "subject": entry.subject,
        "body": entry.body,
        "created_at": entry.created_at.isoformat(),
        "provider_id": entry.provider_id,
        "html": entry.html,
        "idempotency_key": entry.idempotency_key,
    }


def _from_json(raw: dict[str, str | None]) -> OutboxEntry:
    return OutboxEntry(
        channel=Channel(str(raw["channel"])),
        to=str(raw["to"]),
        subject=raw.get("subject"),
        body=str(raw["body"]),
        created_at=datetime.fromisoformat(str(raw["created_at"])),
        provider_id=str(raw["provider_id"]),
        html=raw.get("html"),
        idempotency_key=raw.get("idempotency_key"),
    )
