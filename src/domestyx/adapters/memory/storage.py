"""In-memory private bucket."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import BinaryIO
from urllib.parse import quote

import attrs

from domestyx.domain.model.download_links import attachment, checked_content_type, link_seconds
from domestyx.domain.model.errors import DependencyUnavailable, NotFound
from domestyx.domain.model.storage import SignedUrl, StorageHealth, StoredObject
from domestyx.ports.clock import Clock


@attrs.define
class _Blob:
    data: bytes
    content_type: str
    last_modified: datetime | None


class InMemoryDocumentStorage:
    """Dict of key -> bytes; `down` simulates an outage."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.objects: dict[str, _Blob] = {}
        self.down = False
        self._clock = clock
        self._lock = threading.Lock()

    def _now(self) -> datetime:
        return self._clock.now() if self._clock else datetime.now(UTC)

    def _check(self) -> None:
        if self.down:
            raise DependencyUnavailable("document storage is unavailable", dependency="storage")

    def put(self, key: str, body: BinaryIO, *, size: int, content_type: str) -> None:
        """Read exactly `size` bytes; a shorter body is refused like the real adapters do."""
        self._check()
        data = body.read(size)
        if len(data) != size:
            raise ValueError(f"body holds {len(data)} bytes, expected {size}")
        with self._lock:
            self.objects[key] = _Blob(data, checked_content_type(content_type), self._now())

    def create(self, key: str, data: bytes, *, content_type: str) -> bool:
        """Insert unless present."""
        self._check()
        with self._lock:
            if key in self.objects:
                return False
            self.objects[key] = _Blob(data, checked_content_type(content_type), self._now())
        return True

    def read(self, key: str) -> bytes:
        """Whole object."""
        self._check()
        with self._lock:
            blob = self.objects.get(key)
        if blob is None:
            raise NotFound(f"no object {key}")
        return blob.data

    def stream(self, key: str, *, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        """Copies of the object's slices, as a network read would hand them over."""
        data = self.read(key)
        return (data[start : start + chunk_size] for start in range(0, len(data), chunk_size))

    def head(self, key: str) -> StoredObject | None:
        """Metadata."""
        self._check()
        with self._lock:
            blob = self.objects.get(key)
        if blob is None:
            return None
        return StoredObject(key, len(blob.data), blob.last_modified, blob.content_type)

    def delete(self, key: str) -> None:
        """Idempotent delete."""
        self._check()
        with self._lock:
            self.objects.pop(key, None)

    def list(self, prefix: str) -> Iterator[StoredObject]:
        """Sorted by key."""
        self._check()
        with self._lock:
            items = sorted((k, b) for k, b in self.objects.items() if k.startswith(prefix))
        for key, blob in items:
            yield StoredObject(key, len(blob.data), blob.last_modified, blob.content_type)

    def signed_download_url(
        self, key: str, *, filename: str, content_type: str, expires_in: timedelta, now: datetime
    ) -> SignedUrl:
        """A memory:// URL with a presigned URL's parameters, under the same rules."""
        self._check()
        expires_at = now + timedelta(seconds=link_seconds(expires_in))
        url = (
            f"memory://bucket/{quote(key)}?expires={int(expires_at.timestamp())}"
            f"&disposition={quote(attachment(filename))}"
            f"&type={quote(checked_content_type(content_type))}"
        )
        return SignedUrl(url=url, expires_at=expires_at)

    def health(self) -> StorageHealth:
        """Always private."""
        return StorageHealth(reachable=not self.down, private=True)
