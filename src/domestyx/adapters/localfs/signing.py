"""App-served download links: HMAC-SHA256 over key|expires|disposition|type, constant-time check."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from urllib.parse import quote, urlencode

from domestyx.adapters.localfs.keys import is_valid_key
from domestyx.domain.model.download_links import MAX_LINK_TTL

_MIN_KEY_BYTES = 32
# Instances that issue and serve a link may disagree on the time by a little.
_CLOCK_SKEW_S = 60


class LinkSigner:
    """Issues and checks `{base_url}/files/{key}?expires&disposition&type&sig` links."""

    def __init__(self, key: bytes, base_url: str) -> None:
        if len(key) < _MIN_KEY_BYTES:
            raise ValueError(f"the link signing key needs at least {_MIN_KEY_BYTES} bytes")
        self._key = key
        self.base_url = base_url.rstrip("/")

    def __repr__(self) -> str:
        return f"LinkSigner(base_url={self.base_url!r})"

    def url(self, key: str, *, expires: int, disposition: str, content_type: str) -> str:
        """The signed link; the key is already validated, so it needs no escaping."""
        query = {
            "expires": str(expires),
            "disposition": disposition,
            "type": content_type,
            "sig": self._sign(key, str(expires), disposition, content_type),
        }
        return f"{self.base_url}/files/{quote(key)}?{urlencode(query, quote_via=quote)}"

    def verify(
        self,
        key: str,
        expires: str,
        disposition: str,
        content_type: str,
        sig: str,
        *,
        now: datetime,
    ) -> bool:
        """True only for an unexpired link this signer issued, unchanged."""
        if not is_valid_key(key) or not expires.isascii() or not expires.isdigit():
            return False
        # A `|` inside a field could shift the boundaries of the signed message.
        if "|" in disposition or "|" in content_type or len(expires) > 12:
            return False
        remaining = int(expires) - int(now.timestamp())
        if remaining <= 0 or remaining > MAX_LINK_TTL.total_seconds() + _CLOCK_SKEW_S:
            return False
        expected = self._sign(key, expires, disposition, content_type)
        return hmac.compare_digest(expected.encode(), sig.encode("utf-8", "replace"))

    def _sign(self, key: str, expires: str, disposition: str, content_type: str) -> str:
        message = f"{key}|{expires}|{disposition}|{content_type}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()
