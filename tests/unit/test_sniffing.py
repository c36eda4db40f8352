"""The first look at an upload: the cap, the digest and the format its signature claims."""

from __future__ import annotations

import hashlib
import io

import pytest

from domestyx.domain.model.errors import (
    PayloadTooLarge,
    UnprocessableDocument,
    UnsupportedMediaType,
)
from domestyx.domain.model.sniffing import HEAD_SIZE, measure
from tests.support import files

MIB = 1024 * 1024


class CountingReader(io.BytesIO):
    """Counts the bytes handed out, to show reading stops at the cap."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.handed_out = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.handed_out += len(chunk)
        return chunk


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (files.png(), "image/png"),
        (files.jpeg(comment=b"x" * 5000), "image/jpeg"),
        (files.pdf(filler=5000), "application/pdf"),
    ],
)
def test_the_signature_routes_the_bytes_to_a_parser(data: bytes, expected: str) -> None:
    assert measure(io.BytesIO(data), 10 * MIB, chunk_size=7).require_supported() == expected


def test_size_and_sha256_are_computed_incrementally() -> None:
    data = files.pdf(filler=200_000)
    measured = measure(io.BytesIO(data), 10 * MIB, chunk_size=4096)
    assert measured.size == len(data)
    assert measured.sha256 == hashlib.sha256(data).hexdigest()
    assert len(measured.head) == HEAD_SIZE  # the head only, never the body


@pytest.mark.parametrize(
    ("data", "label"),
    [
        (files.SVG, "application/xml"),
        (b"\xef\xbb\xbf  <svg xmlns='x'/>", "image/svg+xml"),
        (files.HTML, "text/html"),
        (b"<HTML><body>", "text/html"),
        (files.GIF, "image/gif"),
        (files.ZIP, "application/zip"),
        (files.TEXT, "unknown"),
    ],
)
def test_other_formats_are_unsupported_and_named_for_the_audit(data: bytes, label: str) -> None:
    measured = measure(io.BytesIO(data), 10 * MIB)
    assert measured.label == label
    with pytest.raises(UnsupportedMediaType):
        measured.require_supported()


def test_an_empty_file_is_unprocessable() -> None:
    with pytest.raises(UnprocessableDocument) as refused:
        measure(io.BytesIO(b""), MIB).require_supported()
    assert refused.value.reason == "empty"


def test_exactly_the_cap_is_accepted() -> None:
    data = files.pdf(filler=3000)
    assert measure(io.BytesIO(data), len(data)).size == len(data)


def test_reading_stops_at_the_first_chunk_over_the_cap() -> None:
    body = CountingReader(files.png(text=b"x" * (3 * MIB)))
    with pytest.raises(PayloadTooLarge):
        measure(body, MIB, chunk_size=64 * 1024)
    assert body.handed_out <= MIB + 64 * 1024
