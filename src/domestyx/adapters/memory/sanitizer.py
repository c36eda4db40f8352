"""A sanitizer for domain tests: passes bytes through, or refuses as it is told."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

import attrs

from domestyx.domain.model.errors import UnprocessableDocument


@attrs.define
class PassThroughSanitizer:
    """Yields a copy of the bytes; `refusal` (when set) is raised instead, like a failed parse."""

    refusal: UnprocessableDocument | None = None
    # Prefix every yielded copy with this, to tell a stored re-encoding from the original.
    marker: bytes = b""
    seen: list[str] = attrs.Factory(list)

    @contextmanager
    def sanitize(self, body: BinaryIO, content_type: str) -> Iterator[BinaryIO]:
        """Record the call; refuse or yield the (marked) copy."""
        self.seen.append(content_type)
        if self.refusal is not None:
            raise self.refusal
        with io.BytesIO(self.marker + body.read()) as copy:
            yield copy
