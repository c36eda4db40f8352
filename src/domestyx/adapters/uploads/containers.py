"""Where a JPEG, PNG or PDF really ends: anything after it is refused, not silently dropped.

Parsers stop at the end of the image or at the last xref and never look further; a file
that carries a second format after its end (a polyglot) is refused here before it is parsed.
"""

from __future__ import annotations

import re
import struct
from typing import BinaryIO

from domestyx.domain.model.errors import UnprocessableDocument

CHUNK = 64 * 1024
_PNG_SIGNATURE = 8
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM and RST0..7 carry no length
_SOS, _EOI = 0xDA, 0xD9
_PDF_EOF = b"%%EOF"
_PDF_SPACE = b" \t\r\n\f\x00"
# In JPEG entropy-coded data 0xFF is followed by 0x00 (stuffing) or RSTn; anything else is a marker.
_ENTROPY_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def truncated(what: str) -> UnprocessableDocument:
    """The refusal for a file that stops before its own end."""
    return UnprocessableDocument(f"the {what} file is truncated", reason="truncated")


def _trailing(what: str) -> UnprocessableDocument:
    return UnprocessableDocument(
        f"the {what} file carries data after its end (a second file hidden in it?)",
        reason="trailing-data",
    )


def _exactly(body: BinaryIO, size: int, what: str) -> bytes:
    data = body.read(size)
    if len(data) != size:
        raise truncated(what)
    return data


def check_png_end(body: BinaryIO) -> None:
    """Walk the chunks to IEND; nothing may follow it."""
    body.seek(_PNG_SIGNATURE)
    while True:
        length, tag = struct.unpack(">I4s", _exactly(body, 8, "PNG"))
        body.seek(length, 1)
        _exactly(body, 4, "PNG")  # the CRC; a seek past the end would not notice
        if tag == b"IEND":
            break
    if body.read(1):
        raise _trailing("PNG")


def check_jpeg_end(body: BinaryIO) -> None:
    """Walk the segments and scans to EOI; only zero padding may follow it."""
    body.seek(2)
    while (marker := _next_marker(body)) != _EOI:
        if marker in _JPEG_STANDALONE:
            continue
        (length,) = struct.unpack(">H", _exactly(body, 2, "JPEG"))
        if length < 2:
            raise UnprocessableDocument("the JPEG file is damaged", reason="damaged")
        body.seek(length - 2, 1)
        if marker == _SOS:
            _skip_entropy_data(body)
    _refuse_rest(body, b"\x00", "JPEG")


def _next_marker(body: BinaryIO) -> int:
    if _exactly(body, 1, "JPEG") != b"\xff":
        raise UnprocessableDocument("the JPEG file is damaged", reason="damaged")
    byte = _exactly(body, 1, "JPEG")
    while byte == b"\xff":  # fill bytes
        byte = _exactly(body, 1, "JPEG")
    return byte[0]


def _skip_entropy_data(body: BinaryIO) -> None:
    """Leave `body` at the marker that ends a scan's entropy-coded data."""
    while True:
        start = body.tell()
        chunk = body.read(CHUNK)
        if len(chunk) < 2:
            raise truncated("JPEG")
        found = _ENTROPY_MARKER.search(chunk)
        if found:
            body.seek(start + found.start())
            return
        body.seek(start + len(chunk) - 1)  # the last byte may be the 0xFF of a marker


def check_pdf_end(body: BinaryIO) -> None:
    """The last %%EOF must end the file (only whitespace after it)."""
    body.seek(0)
    last, carry, offset = -1, b"", 0
    while chunk := body.read(CHUNK):
        window = carry + chunk
        found = window.rfind(_PDF_EOF)
        if found >= 0:
            last = offset - len(carry) + found
        carry = window[-(len(_PDF_EOF) - 1) :]
        offset += len(chunk)
    if last < 0:
        raise truncated("PDF")
    body.seek(last + len(_PDF_EOF))
    _refuse_rest(body, _PDF_SPACE, "PDF")


def _refuse_rest(body: BinaryIO, allowed: bytes, what: str) -> None:
    while chunk := body.read(CHUNK):
        if chunk.strip(allowed):
            raise _trailing(what)
