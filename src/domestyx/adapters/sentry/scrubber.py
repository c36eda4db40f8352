"""before_send / before_breadcrumb hooks: drop expected client errors, scrub everything else."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

import attrs
from litestar.exceptions import HTTPException

from domestyx.adapters.sentry.redaction import FILTERED, is_secret_key, redact_text
from domestyx.domain.model.errors import DependencyUnavailable, DomainError

if TYPE_CHECKING:
    from sentry_sdk._types import Breadcrumb, BreadcrumbHint, Event, Hint

BODY_REMOVED = "[body removed]"
BYTES_REMOVED = "[bytes removed]"
# Uploads carry identity documents; neither their bodies nor the locals that held their
# chunks and client-chosen filenames leave the process.
_BINARY_BODIES = ("multipart/", "application/octet-stream", "application/pdf", "image/")
# How the SDK serializes bytes locals: document chunks and digests have no place in a report.
_BYTES_REPRS = ("b'", 'b"', "bytearray(", "<memory at")
# Package inventories the SDK adds itself; "pyjwt" is a package, not a credential.
_SDK_KEYS = ("modules", "sdk")
# Serialized events are shallow; the cap only guards raw breadcrumb data against cycles.
_MAX_DEPTH = 24


def is_expected_client_error(exc: BaseException | None) -> bool:
    """4xx by design: domain failures and Litestar HTTP errors below 500."""
    if isinstance(exc, DependencyUnavailable):
        return False  # a 503: an outage on-call must see
    if isinstance(exc, DomainError):
        return True
    return isinstance(exc, HTTPException) and exc.status_code < 500


def _from_dramatiq_attempt(event: Event) -> bool:
    """The Dramatiq integration reports every failed attempt; only the dead letter is reported.

    The worker's dead-letter middleware captures the final failure once, with job name and id.
    """
    values = (event.get("exception") or {}).get("values") or []
    return any((v.get("mechanism") or {}).get("type") == "dramatiq" for v in values)


@attrs.frozen
class Scrubber:
    """Recursive scrubber; `pseudonym_key` keys the HMAC that stands in for emails and phones."""

    pseudonym_key: bytes = attrs.field(repr=False)

    def scrub(self, value: object, depth: int = 0) -> object:
        """A copy of `value` with secret keys filtered and free text redacted."""
        if isinstance(value, str):
            return self._text(value)
        if isinstance(value, bytes | bytearray | memoryview):
            return BYTES_REMOVED
        if depth > _MAX_DEPTH:
            return FILTERED
        if isinstance(value, Mapping):
            return {
                self._text(k) if isinstance(k, str) else k: self._entry(k, v, depth)
                for k, v in value.items()
            }
        if isinstance(value, list | tuple):
            return self._sequence(value, depth)
        return value

    def before_send(self, event: Event, hint: Hint) -> Event | None:
        """Sentry hook for error and message events."""
        exc_info = hint.get("exc_info")
        if exc_info and is_expected_client_error(exc_info[1]):
            return None
        if _from_dramatiq_attempt(event):
            return None
        kept = {key: event.get(key) for key in _SDK_KEYS if key in event}
        scrubbed = cast("dict[str, Any]", self.scrub(event))
        scrubbed.update(kept)
        if _has_binary_body(scrubbed.get("request")):
            scrubbed["request"]["data"] = BODY_REMOVED
            _drop_frame_vars(scrubbed)
        return cast("Event", scrubbed)

    def before_breadcrumb(self, crumb: Breadcrumb, hint: BreadcrumbHint) -> Breadcrumb | None:
        """Sentry hook: breadcrumbs are kept, scrubbed, at the moment they are recorded."""
        return cast("Breadcrumb", self.scrub(crumb))

    def _text(self, text: str) -> str:
        if text.startswith(_BYTES_REPRS):
            return BYTES_REMOVED
        return redact_text(text, self.pseudonym_key)

    def _sequence(self, items: list[object] | tuple[object, ...], depth: int) -> list[object]:
        if len(items) == 2 and isinstance(items[0], str) and is_secret_key(items[0]):
            return [items[0], FILTERED]  # a (header, value) pair
        return [self.scrub(item, depth + 1) for item in items]

    def _entry(self, key: object, value: object, depth: int) -> object:
        if isinstance(key, str) and is_secret_key(key) and value not in (None, ""):
            return FILTERED
        return self.scrub(value, depth + 1)


def _has_binary_body(request: object) -> bool:
    if not isinstance(request, dict) or "data" not in request:
        return False
    headers = request.get("headers")
    if not isinstance(headers, Mapping):
        return False
    content_type = next(
        (str(v) for k, v in headers.items() if str(k).lower() == "content-type"), ""
    )
    return content_type.lower().startswith(_BINARY_BODIES)


def _drop_frame_vars(event: dict[str, Any]) -> None:
    for section in ("exception", "threads"):
        for value in (event.get(section) or {}).get("values") or []:
            for frame in (value.get("stacktrace") or {}).get("frames") or []:
                frame.pop("vars", None)
