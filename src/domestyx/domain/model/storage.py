"""What object storage reports: stored objects, signed links, bucket health."""

from __future__ import annotations

from datetime import datetime

import attrs


@attrs.frozen
class StoredObject:
    """What storage knows about one object."""

    key: str
    size: int
    last_modified: datetime | None = None
    content_type: str | None = None


@attrs.frozen
class SignedUrl:
    """A short-lived download link."""

    url: str
    expires_at: datetime


@attrs.frozen
class StorageHealth:
    """Reachability and privacy of the bucket."""

    reachable: bool
    private: bool
    detail: str = ""
