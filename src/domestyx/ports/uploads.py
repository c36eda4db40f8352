"""Parsing uploads: the one place file formats are understood (the domain only routes bytes)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import BinaryIO, Protocol, runtime_checkable


@runtime_checkable
class UploadSanitizer(Protocol):
    """Parses a whole upload and hands back the bytes that may be stored."""

    def sanitize(self, body: BinaryIO, content_type: str) -> AbstractContextManager[BinaryIO]:
        """Parse `body` as `content_type`; yield what to store, positioned at its start.

        Images are decoded and re-encoded (the original bytes are never yielded); a PDF is
        yielded as sent once parsed and found free of active content. Raise
        UnprocessableDocument (with its `reason`) or ActiveContent for anything else.
        """
        ...
