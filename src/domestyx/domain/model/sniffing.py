"""Upload sniffing: the type comes from the bytes, never from a header or a file name."""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from typing import TYPE_CHECKING, BinaryIO

import attrs

from domestyx.domain.model.documents import CONTENT_TYPES
from domestyx.domain.model.errors import (
    PayloadTooLarge,
    UnprocessableDocument,
    UnsupportedMediaType,
)

if TYPE_CHECKING:
    from hashlib import _Hash

CHUNK_SIZE = 64 * 1024
# PDF readers accept `%PDF-` anywhere in the first KiB, so polyglots are looked for there too.
HEAD_SIZE = 1024
# The PDF trailer's %%EOF must sit within the last KiB.
TAIL_SIZE = 1024

PDF, JPEG, PNG = CONTENT_TYPES["pdf"], CONTENT_TYPES["jpeg"], CONTENT_TYPES["png"]
PDF_MAGIC = b"%PDF-"
JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"
_IHDR_END = 33  # signature (8) + length (4) + "IHDR" (4) + fields (13) + CRC (4)

# Markup a browser or an XML parser would act on if the bytes were ever rendered inline.
_MARKUP = re.compile(rb"<(?:html|script|svg|!doctype|\?xml)", re.IGNORECASE)
_ZIP, _GIFS = b"PK\x03\x04", (b"GIF87a", b"GIF89a")
# A JPEG start with a real marker after it; the bare 3 bytes occur by chance in compressed data.
_JPEG_START = re.compile(rb"\xff\xd8\xff[\xc0-\xfe]")
# Other formats' signatures that make a file a polyglot. JPEG is allowed inside a PDF
# (DCTDecode image streams) and inside a JPEG (EXIF thumbnails).
_FOREIGN: dict[str, tuple[bytes | re.Pattern[bytes], ...]] = {
    PDF: (PNG_MAGIC, _ZIP, *_GIFS),
    JPEG: (PDF_MAGIC, PNG_MAGIC, _ZIP, *_GIFS),
    PNG: (PDF_MAGIC, _JPEG_START, _ZIP, *_GIFS),
}


def _name_pattern(name: bytes) -> re.Pattern[bytes]:
    """A PDF name, also when spelled with #xx escapes (`/Encr#79pt` is `/Encrypt`)."""
    letters = (b"(?:%s|#(?i:%02x))" % (re.escape(bytes([byte])), byte) for byte in name)
    return re.compile(b"/" + b"".join(letters))


_ENCRYPT = _name_pattern(b"Encrypt")
_ENCRYPT_SPAN = 1 + 3 * len(b"Encrypt")  # the longest spelling: every letter escaped


@attrs.frozen
class Detected:
    """What the bytes turned out to be."""

    content_type: str
    size: int
    sha256: str


@attrs.define
class ContentInspector:
    """Watches an upload stream go by, keeping only its first and last KiB."""

    max_size: int = attrs.field(validator=attrs.validators.gt(0))
    _size: int = attrs.field(default=0, init=False)
    _head: bytes = attrs.field(default=b"", init=False)
    _tail: bytes = attrs.field(default=b"", init=False)
    _carry: bytes = attrs.field(default=b"", init=False)
    _encrypted: bool = attrs.field(default=False, init=False)
    _content_type: str | None = attrs.field(default=None, init=False)
    _digest: _Hash = attrs.field(factory=hashlib.sha256, init=False)

    @property
    def size(self) -> int:
        """Bytes accepted so far."""
        return self._size

    def feed(self, chunk: bytes) -> None:
        """Take the next chunk; raise as soon as the stream is too big or plainly unacceptable."""
        if self._size + len(chunk) > self.max_size:
            raise PayloadTooLarge(f"the file exceeds the limit of {self.max_size} bytes")
        self._size += len(chunk)
        self._digest.update(chunk)
        if len(self._head) < HEAD_SIZE:
            self._head += chunk[: HEAD_SIZE - len(self._head)]
            if len(self._head) == HEAD_SIZE:
                self._classify()
        self._tail = (self._tail + chunk[-TAIL_SIZE:])[-TAIL_SIZE:]
        # Carry the end of the previous chunk so a name split across chunks is still seen.
        window = self._carry + chunk
        self._encrypted = self._encrypted or _ENCRYPT.search(window) is not None
        self._carry = window[-(_ENCRYPT_SPAN - 1) :]

    def finish(self) -> Detected:
        """The verdict once the whole stream went by."""
        if self._size == 0:
            raise UnprocessableDocument("the file is empty")
        content_type = self._classify()
        if not _complete(content_type, self._tail):
            raise UnprocessableDocument("the file is truncated or damaged")
        if content_type == PDF and self._encrypted:
            raise UnprocessableDocument(
                "encrypted or password-protected PDF files cannot be reviewed"
            )
        return Detected(content_type, self._size, self._digest.hexdigest())

    def _classify(self) -> str:
        if self._content_type is None:
            content_type = _magic_type(self._head)
            _refuse_polyglot(self._head, content_type)
            self._content_type = content_type
        return self._content_type


def sniff(body: BinaryIO, max_size: int, chunk_size: int = CHUNK_SIZE) -> Detected:
    """Read a stream once, chunk by chunk, and say what it is; stop reading at the first refusal."""
    inspector = ContentInspector(max_size)
    while chunk := body.read(chunk_size):
        inspector.feed(chunk)
    return inspector.finish()


def _magic_type(head: bytes) -> str:
    if head.startswith(PDF_MAGIC):
        return PDF
    if head.startswith(JPEG_MAGIC):
        return JPEG
    if head.startswith(PNG_MAGIC):
        _check_png_header(head)
        return PNG
    raise UnsupportedMediaType("only PDF, JPEG and PNG files are accepted")


def _check_png_header(head: bytes) -> None:
    """The signature must be followed by an intact IHDR chunk with a non-empty image."""
    if len(head) < _IHDR_END:
        raise UnprocessableDocument("the PNG file is truncated")
    length, tag, width, height = struct.unpack(">I4sII", head[8:24])
    (crc,) = struct.unpack(">I", head[29:_IHDR_END])
    if length != 13 or tag != b"IHDR" or zlib.crc32(head[12:29]) != crc or not width * height:
        raise UnprocessableDocument("the PNG header is damaged")


def _refuse_polyglot(head: bytes, content_type: str) -> None:
    if _MARKUP.search(head):
        raise UnprocessableDocument("the file carries HTML, SVG or XML markup")
    # Offset 0 holds the file's own signature; look past it.
    rest = head[1:]
    for signature in _FOREIGN[content_type]:
        found = signature.search(rest) if isinstance(signature, re.Pattern) else signature in rest
        if found:
            raise UnprocessableDocument("the file carries the signature of a second format")


def _complete(content_type: str, tail: bytes) -> bool:
    if content_type == PNG:
        return tail.endswith(PNG_END)
    if content_type == JPEG:
        # Some encoders pad after the end-of-image marker with zero bytes.
        return tail.rstrip(b"\x00").endswith(b"\xff\xd9")
    return b"%%EOF" in tail
