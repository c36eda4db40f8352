"""Private object storage for documents and backups."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import BinaryIO, Protocol, runtime_checkable

from domestyx.domain.model.storage import SignedUrl, StorageHealth, StoredObject


@runtime_checkable
class DocumentStorage(Protocol):
    """A private bucket; keys are chosen by the service, never by users."""

    def put(self, key: str, body: BinaryIO, *, size: int, content_type: str) -> None:
        """Store `size` bytes read from `body` (streamed, not buffered whole)."""
        ...

    def create(self, key: str, data: bytes, *, content_type: str) -> bool:
        """Store a small object only if `key` is absent (atomically); False if it exists."""
        ...

    def read(self, key: str) -> bytes:
        """Fetch a whole (small) object such as a backup; raise NotFound if absent."""
        ...

    def stream(self, key: str, *, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        """The object's bytes in chunks of at most `chunk_size`, never held whole (backups).

        NotFound is raised by the call itself, before any chunk. Read to the end, or close the
        iterator, to release the connection or file.
        """
        ...

    def head(self, key: str) -> StoredObject | None:
        """Metadata of an object, or None if absent."""
        ...

    def delete(self, key: str) -> None:
        """Remove an object; absent objects are not an error."""
        ...

    def list(self, prefix: str) -> Iterator[StoredObject]:
        """Every object under a prefix."""
        ...

    def signed_download_url(
        self, key: str, *, filename: str, content_type: str, expires_in: timedelta, now: datetime
    ) -> SignedUrl:
        """A GET link that expires and makes the browser save the file as an attachment."""
        ...

    def health(self) -> StorageHealth:
        """Whether the bucket answers and refuses anonymous reads."""
        ...
