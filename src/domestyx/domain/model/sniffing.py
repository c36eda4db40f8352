"""The first look at an upload: size within the cap, digest, and the format its signature claims.

This only routes the bytes to the right parser (the UploadSanitizer port); it judges nothing
else. Whether a file is what it claims to be is decided by parsing all of it.
"""

from __future__ import annotations

import hashlib
from typing import BinaryIO

import attrs

from domestyx.domain.model.documents import CONTENT_TYPES
from domestyx.domain.model.errors import (
    PayloadTooLarge,
    UnprocessableDocument,
    UnsupportedMediaType,
)

CHUNK_SIZE = 64 * 1024
HEAD_SIZE = 64  # enough for every signature below

PDF, JPEG, PNG = CONTENT_TYPES["pdf"], CONTENT_TYPES["jpeg"], CONTENT_TYPES["png"]
PDF_MAGIC = b"%PDF-"
JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_ACCEPTED = ((PDF_MAGIC, PDF), (JPEG_MAGIC, JPEG), (PNG_MAGIC, PNG))
# Formats we refuse (signatures lower-cased), named only so the audit log can say what was
# tried; nothing acts on them.
_REFUSED = (
    (b"gif8", "image/gif"),
    (b"pk\x03\x04", "application/zip"),
    (b"<svg", "image/svg+xml"),
    (b"<?xml", "application/xml"),
    (b"<!doctype html", "text/html"),
    (b"<html", "text/html"),
)
_BOM_AND_SPACE = b"\xef\xbb\xbf \t\r\n"


@attrs.frozen
class Detected:
    """What is stored: the parsed (and, for images, re-encoded) bytes' type, size and digest."""

    content_type: str
    size: int
    sha256: str


@attrs.frozen
class Measured:
    """One pass over a stream: its size, digest and first bytes."""

    size: int
    sha256: str
    head: bytes = attrs.field(repr=False)

    @property
    def content_type(self) -> str | None:
        """The accepted format the signature claims, if any."""
        for magic, content_type in _ACCEPTED:
            if self.head.startswith(magic):
                return content_type
        return None

    @property
    def label(self) -> str:
        """For the audit log: the claimed format, accepted or not, or `unknown`."""
        if self.content_type:
            return self.content_type
        start = self.head.lstrip(_BOM_AND_SPACE).lower()
        return next((name for magic, name in _REFUSED if start.startswith(magic)), "unknown")

    def require_supported(self) -> str:
        """The format to parse the bytes as; refuse empty files and every other format."""
        if self.size == 0:
            raise UnprocessableDocument("the file is empty", reason="empty")
        if self.content_type is None:
            raise UnsupportedMediaType("only PDF, JPEG and PNG files are accepted")
        return self.content_type


def measure(body: BinaryIO, max_size: int, chunk_size: int = CHUNK_SIZE) -> Measured:
    """Read a stream once, chunk by chunk; stop as soon as it passes `max_size` bytes."""
    digest, size, head = hashlib.sha256(), 0, b""
    while chunk := body.read(chunk_size):
        size += len(chunk)
        if size > max_size:
            raise PayloadTooLarge(f"the file exceeds the limit of {max_size} bytes")
        digest.update(chunk)
        if len(head) < HEAD_SIZE:
            head += chunk[: HEAD_SIZE - len(head)]
    return Measured(size, digest.hexdigest(), head)


def as_detected(content_type: str, measured: Measured) -> Detected:
    """The stored file's facts."""
    return Detected(content_type, measured.size, measured.sha256)
