"""Content sniffing decides the type from real bytes and refuses everything else."""

from __future__ import annotations

import hashlib
import io

import attrs
import pytest

from domestyx.domain.model.errors import (
    PayloadTooLarge,
    UnprocessableDocument,
    UnsupportedMediaType,
)
from domestyx.domain.model.sniffing import ContentInspector, sniff
from tests.support import files

MIB = 1024 * 1024


def feed_until_refused(inspector: ContentInspector, data: bytes) -> int:
    """Feed byte by byte, as a slow client would; how many bytes went in before the refusal."""
    for fed, byte in enumerate(data):
        try:
            inspector.feed(bytes([byte]))
        except PayloadTooLarge:
            return fed
    return pytest.fail("the size cap was never enforced")


def detect(data: bytes, chunk: int = 7) -> str:
    """The detected type when the stream arrives in small, awkward chunks."""
    return sniff(io.BytesIO(data), 10 * MIB, chunk_size=chunk).content_type


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (files.png(), "image/png"),
        (files.png(40, 40), "image/png"),
        (files.jpeg(), "image/jpeg"),
        (files.jpeg(comment=b"x" * 5000), "image/jpeg"),
        (files.pdf(), "application/pdf"),
        (files.pdf(filler=5000), "application/pdf"),
    ],
)
def test_real_files_are_recognised(data: bytes, expected: str) -> None:
    assert detect(data) == expected
    assert detect(data, chunk=64 * 1024) == expected


def test_a_jpeg_called_x_pdf_and_declared_application_pdf_is_a_jpeg() -> None:
    # The client's name and Content-Type never reach the inspector: only the bytes do.
    assert detect(files.jpeg()) == "image/jpeg"


def test_a_pdf_declared_image_png_is_a_pdf() -> None:
    assert detect(files.pdf()) == "application/pdf"


def test_size_and_sha256_are_computed_incrementally() -> None:
    data = files.jpeg(comment=b"y" * 200_000)
    detected = sniff(io.BytesIO(data), 10 * MIB, chunk_size=4096)
    assert detected.size == len(data)
    assert detected.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    "data",
    [files.SVG, files.HTML, files.TEXT, files.GIF, files.ZIP],
    ids=["svg", "html", "text", "gif", "zip"],
)
def test_other_formats_are_unsupported(data: bytes) -> None:
    with pytest.raises(UnsupportedMediaType):
        detect(data)


def test_an_empty_file_is_unprocessable() -> None:
    with pytest.raises(UnprocessableDocument, match="empty"):
        detect(b"")


def test_exactly_the_cap_is_accepted() -> None:
    data = files.jpeg(comment=b"z" * 3000)
    assert sniff(io.BytesIO(data), len(data)).size == len(data)


def test_one_byte_over_the_cap_stops_the_stream_at_that_byte() -> None:
    data = files.jpeg(comment=b"z" * 3000)
    inspector = ContentInspector(max_size=len(data) - 1)
    assert feed_until_refused(inspector, data) == len(data) - 1
    assert inspector.size == len(data) - 1


def test_reading_stops_at_the_first_chunk_over_the_cap() -> None:
    body = io.BytesIO(files.jpeg(comment=b"q" * (3 * 64 * 1024)))
    with pytest.raises(PayloadTooLarge):
        sniff(body, max_size=64 * 1024 + 1)
    assert body.tell() == 2 * 64 * 1024  # two chunks read; the rest never left the stream


@pytest.mark.parametrize(
    "data",
    [files.png()[:-12], files.png(40, 40)[:-20], files.jpeg()[:-2], files.pdf()[:-7]],
    ids=["png-without-iend", "png-cut-in-idat", "jpeg-without-eoi", "pdf-without-eof"],
)
def test_truncated_files_are_unprocessable(data: bytes) -> None:
    with pytest.raises(UnprocessableDocument, match="truncated"):
        detect(data)


def test_a_png_signature_without_an_intact_ihdr_is_unprocessable() -> None:
    damaged = bytearray(files.png())
    damaged[20] ^= 0xFF  # inside IHDR: the CRC no longer matches
    with pytest.raises(UnprocessableDocument, match="PNG header"):
        detect(bytes(damaged))


def test_a_pdf_whose_eof_is_not_in_the_last_kib_is_unprocessable() -> None:
    with pytest.raises(UnprocessableDocument):
        detect(files.pdf() + b" " * 2000)


def test_an_encrypted_pdf_is_unprocessable() -> None:
    with pytest.raises(UnprocessableDocument, match="encrypted"):
        detect(files.pdf(encrypted=True))


def test_an_encrypt_name_split_across_two_chunks_is_found() -> None:
    data = files.pdf(encrypted=True)
    split = data.index(b"/Encrypt") + 4
    inspector = ContentInspector(max_size=MIB)
    inspector.feed(data[:split])
    inspector.feed(data[split:])
    with pytest.raises(UnprocessableDocument, match="encrypted"):
        inspector.finish()


def test_an_encrypt_name_spelled_with_hex_escapes_is_found() -> None:
    with pytest.raises(UnprocessableDocument, match="encrypted"):
        detect(files.pdf(encrypted=True, encrypt_name=b"/Encr#79pt"))


@pytest.mark.parametrize(
    "data",
    [
        files.jpeg(comment=b"<script>alert(1)</script>"),
        files.jpeg(comment=b"<HTML><body>"),
        files.jpeg(comment=b"<!DocType html>"),
        files.png(text=b"<svg onload=alert(1)>"),
        files.png(text=b"<?xml version='1.0'?>"),
    ],
    ids=["jpeg-script", "jpeg-html", "jpeg-doctype", "png-svg", "png-xml"],
)
def test_markup_in_the_first_kib_is_refused(data: bytes) -> None:
    with pytest.raises(UnprocessableDocument, match="markup"):
        detect(data)


@pytest.mark.parametrize(
    "data",
    [
        files.jpeg(comment=b"%PDF-1.7\n1 0 obj"),
        files.png(text=b"%PDF-1.4"),
        files.jpeg(comment=files.PNG_SIGNATURE),
        files.png(text=b"PK\x03\x04"),
    ],
    ids=["jpeg-pdf", "png-pdf", "jpeg-png", "png-zip"],
)
def test_a_second_signature_in_the_first_kib_is_refused(data: bytes) -> None:
    with pytest.raises(UnprocessableDocument, match="second format"):
        detect(data)


def test_a_jpeg_image_stream_inside_a_pdf_is_not_a_polyglot() -> None:
    scanned = files.pdf(image=files.jpeg())
    assert scanned.index(b"\xff\xd8\xff") < 1024
    assert detect(scanned) == "application/pdf"


def test_an_unacceptable_head_fails_before_the_rest_is_read() -> None:
    body = io.BytesIO(files.HTML + b" " * MIB)
    with pytest.raises(UnsupportedMediaType):
        sniff(body, 10 * MIB, chunk_size=1024)
    assert body.tell() == 1024


def test_the_inspector_never_keeps_the_whole_body() -> None:
    inspector = ContentInspector(max_size=10 * MIB)
    data = files.jpeg(comment=b"k" * (4 * MIB))
    for start in range(0, len(data), 64 * 1024):
        inspector.feed(data[start : start + 64 * 1024])
    state = [getattr(inspector, field.name) for field in attrs.fields(ContentInspector)]
    kept = sum(len(value) for value in state if isinstance(value, bytes))
    assert kept <= 3 * 1024
    assert inspector.finish().size == len(data)
