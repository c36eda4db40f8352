"""Real minimal files, built byte by byte, for the sniffing and document tests."""

from __future__ import annotations

import io
import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SEGMENT_MAX = 65533  # a JPEG segment's length field counts itself (2 bytes) in 16 bits


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def _png_rows(width: int, height: int) -> bytes:
    return b"".join(
        b"\x00" + b"".join(bytes([x % 256, y % 256, 128]) for x in range(width))
        for y in range(height)
    )


def png(width: int = 1, height: int = 1, *, text: bytes = b"") -> bytes:
    """A valid 8-bit RGB PNG; `text` goes into a tEXt chunk right after IHDR."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    comment = _png_chunk(b"tEXt", b"Comment\x00" + text) if text else b""
    return (
        PNG_SIGNATURE
        + _png_chunk(b"IHDR", header)
        + comment
        + _png_chunk(b"IDAT", zlib.compress(_png_rows(width, height)))
        + _png_chunk(b"IEND", b"")
    )


def _jpeg_segment(marker: int, data: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(data) + 2) + data


def jpeg(*, comment: bytes = b"") -> bytes:
    """A valid 1x1 grayscale baseline JPEG (one 8x8 block: DC 0, then end of block).

    `comment` goes into COM segments after APP0; use it to pad the file or plant content.
    """
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    quant = b"\x00" + b"\x01" * 64
    frame = b"\x08\x00\x01\x00\x01\x01\x01\x11\x00"  # 8-bit, 1x1, one component
    one_code = b"\x01" + b"\x00" * 15 + b"\x00"  # a single 1-bit code for symbol 0
    scan = b"\x01\x01\x00\x00\x3f\x00"
    comments = b"".join(
        _jpeg_segment(0xFE, comment[i : i + _SEGMENT_MAX])
        for i in range(0, len(comment), _SEGMENT_MAX)
    )
    return (
        b"\xff\xd8"
        + _jpeg_segment(0xE0, app0)
        + comments
        + _jpeg_segment(0xDB, quant)
        + _jpeg_segment(0xC0, frame)
        + _jpeg_segment(0xC4, b"\x00" + one_code)
        + _jpeg_segment(0xC4, b"\x10" + one_code)
        + _jpeg_segment(0xDA, scan)
        + b"\x3f"  # DC code "0" (difference 0), AC code "0" (end of block), padded with ones
        + b"\xff\xd9"
    )


_ENCRYPT_DICT = (
    b"<< /Filter /Standard /V 1 /R 2 /P -4 /O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b"> >>"
)


def pdf(
    *,
    encrypted: bool = False,
    encrypt_name: bytes = b"/Encrypt",
    filler: int = 0,
    image: bytes = b"",
    catalog: bytes = b"",
    page: bytes = b"",
    extra: tuple[bytes, ...] = (),
) -> bytes:
    """A valid one-page PDF with a correct xref table and trailer.

    `encrypted` adds a standard-security-handler dictionary referenced from the trailer;
    `filler` adds that many bytes of comments to the page's content stream;
    `image` embeds JPEG bytes as a DCTDecode image XObject, as scanners do;
    `catalog` and `page` are spliced into those dictionaries, and `extra` objects are
    numbered from 5 on (before the encryption and image objects).
    """
    drawing = b"0 0 m 100 100 l S\n" + b"% " * (filler // 2) + b"\n"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R %s >>" % catalog,
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R %s >>" % page,
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(drawing), drawing),
        *extra,
    ]
    if encrypted:
        objects.append(_ENCRYPT_DICT)
    if image:
        objects.append(
            b"<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray"
            b" /BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n%s\nendstream"
            % (len(image), image)
        )
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    trailer = b"/Size %d /Root 1 0 R" % (len(objects) + 1)
    if encrypted:
        number = 5 + len(extra)
        trailer += b" %s %d 0 R /ID [<%s> <%s>]" % (encrypt_name, number, b"ab" * 16, b"ab" * 16)
    out += b"trailer\n<< %s >>\nstartxref\n%d\n%%%%EOF\n" % (trailer, xref)
    return bytes(out)


SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.domain)</script></svg>\n"
)
HTML = b"<!DOCTYPE html>\n<html><body><script>alert(1)</script></body></html>\n"
TEXT = b"name,passport\nJane Doe,X1234567\n"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,"
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 20 + b"PK\x05\x06" + b"\x00" * 18


# The hostile PDFs of issue 14: each one runs, launches or unpacks something when opened.
JS_ACTION = b"<< /Type /Action /S /JavaScript /JS (app.alert(document.cookie)) >>"
JAVASCRIPT_PDF = pdf(catalog=b"/OpenAction 5 0 R", extra=(JS_ACTION,))
# The same script in a name tree, its key spelled with a hex escape (`/J#53` is `/JS`).
ESCAPED_JS_PDF = pdf(
    catalog=b"/Names << /JavaScript << /Names [(x) 5 0 R] >> >>",
    extra=(b"<< /S /JavaScript /J#53 (app.alert(1)) >>",),
)
LAUNCH_PDF = pdf(
    page=b"/Annots [5 0 R]",
    extra=(
        b"<< /Type /Annot /Subtype /Link /Rect [0 0 200 200]"
        b" /A << /S /Launch /F (C:\\\\Windows\\\\System32\\\\calc.exe) >> >>",
    ),
)
EMBEDDED_FILE_PDF = pdf(
    catalog=b"/Names << /EmbeddedFiles << /Names [(invoice.exe) 5 0 R] >> >>",
    extra=(
        b"<< /Type /Filespec /F (invoice.exe) /EF << /F 6 0 R >> >>",
        b"<< /Type /EmbeddedFile /Length 2 >>\nstream\nMZ\nendstream",
    ),
)
XFA_PDF = pdf(
    catalog=b"/AcroForm << /Fields [] /XFA 5 0 R >>",
    extra=(b"<< /Length 8 >>\nstream\n<xdp:xdp\nendstream",),
)
PAGE_ACTION_PDF = pdf(page=b"/AA << /O 5 0 R >>", extra=(JS_ACTION,))
ENCRYPTED_PDF = pdf(encrypted=True)


def png_bomb(side: int = 30_000) -> bytes:
    """A 1-bit greyscale PNG of side x side pixels: ~100 KiB of zlib, gigabytes once decoded."""
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    row = b"\x00" * (1 + (side + 7) // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    return (
        PNG_SIGNATURE
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


GPS_IFD = 0x8825
PLANTED = b"planted-secret-comment"


def photo_with_gps(fmt: str = "JPEG") -> bytes:
    """A camera-like photo: EXIF with a GPS position and a maker, plus a comment/text chunk."""
    from PIL import Image, PngImagePlugin

    image = Image.new("RGB", (48, 32), (180, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "PlantedCamera"  # Make
    exif[GPS_IFD] = {1: "N", 2: (51.0, 30.0, 26.0), 3: "W", 4: (0.0, 7.0, 39.0)}
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, format="JPEG", exif=exif, comment=PLANTED)
    else:
        text = PngImagePlugin.PngInfo()
        text.add_text("Comment", PLANTED.decode())
        image.save(out, format="PNG", exif=exif, pnginfo=text)
    return out.getvalue()
