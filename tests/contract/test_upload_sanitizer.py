"""The Pillow + pypdf sanitizer over a corpus of hostile files, and the clean ones it keeps."""

from __future__ import annotations

import io
import random

import pytest
from PIL import Image

from domestyx.adapters.uploads.images import ImageLimits
from domestyx.adapters.uploads.sanitizer import ParsingSanitizer
from domestyx.domain.model.errors import ActiveContent, UnprocessableDocument
from tests.support import files

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
# (name, bytes, the type their signature claims, the refusal's reason)
HOSTILE = [
    ("javascript on open", files.JAVASCRIPT_PDF, PDF, "active-content"),
    ("javascript, hex-escaped name", files.ESCAPED_JS_PDF, PDF, "active-content"),
    ("launch action", files.LAUNCH_PDF, PDF, "active-content"),
    ("embedded file", files.EMBEDDED_FILE_PDF, PDF, "active-content"),
    ("xfa form", files.XFA_PDF, PDF, "active-content"),
    ("page action", files.PAGE_ACTION_PDF, PDF, "active-content"),
    ("encrypted", files.ENCRYPTED_PDF, PDF, "encrypted"),
    (
        "encrypted, escaped name",
        files.pdf(encrypted=True, encrypt_name=b"/Encr#79pt"),
        PDF,
        "encrypted",
    ),
    ("html after %%EOF", files.pdf() + files.HTML, PDF, "trailing-data"),
    ("zip after %%EOF", files.pdf() + files.ZIP + b"\n", PDF, "trailing-data"),
    ("jpeg + zip", files.jpeg() + files.ZIP, JPEG, "trailing-data"),
    ("png + html after IEND", files.png() + files.HTML, PNG, "trailing-data"),
    ("png + pdf after IEND", files.png() + files.pdf(), PNG, "trailing-data"),
    ("decompression bomb", files.png_bomb(20_000), PNG, "image-too-large"),
    ("truncated png", files.png(64, 64)[:-20], PNG, "truncated"),
    ("truncated jpeg", files.jpeg()[:-2], JPEG, "truncated"),
    ("truncated pdf", files.pdf()[:-40], PDF, "truncated"),
    ("pdf without objects", b"%PDF-1.4\n%%EOF\n", PDF, "undecodable"),
    ("png with a broken crc", files.png(4, 4).replace(b"IDAT", b"IDAt"), PNG, "undecodable"),
    (
        "jpeg garbage scan",
        b"\xff\xd8\xff\xdb\x00\x04ab\xff\xda\x00\x02zz\xff\xd9",
        JPEG,
        "undecodable",
    ),
]


def sanitize(data: bytes, content_type: str, sanitizer: ParsingSanitizer | None = None) -> bytes:
    with (sanitizer or ParsingSanitizer()).sanitize(io.BytesIO(data), content_type) as clean:
        return clean.read()


@pytest.mark.parametrize(
    ("name", "data", "content_type", "reason"), HOSTILE, ids=[h[0] for h in HOSTILE]
)
def test_every_hostile_file_is_refused_with_its_reason(
    name: str, data: bytes, content_type: str, reason: str
) -> None:
    with pytest.raises(UnprocessableDocument) as refused:
        sanitize(data, content_type)
    assert refused.value.reason == reason, (name, refused.value.detail)
    assert isinstance(refused.value, ActiveContent) == (reason == "active-content")


def test_a_clean_pdf_is_kept_byte_for_byte() -> None:
    scan = files.pdf(image=files.jpeg())  # a scanner's JPEG inside is not a polyglot
    assert sanitize(scan, PDF) == scan


@pytest.mark.parametrize(("fmt", "content_type"), [("JPEG", JPEG), ("PNG", PNG)])
def test_photos_are_re_encoded_without_exif_gps_or_comments(fmt: str, content_type: str) -> None:
    original = files.photo_with_gps(fmt)
    with Image.open(io.BytesIO(original)) as before:
        assert before.getexif().get_ifd(files.GPS_IFD)  # the planted position is really there
    clean = sanitize(original, content_type)
    assert clean != original
    with Image.open(io.BytesIO(clean)) as after:
        assert after.format == fmt and after.size == (48, 32)
        assert dict(after.getexif()) == {} and after.getexif().get_ifd(files.GPS_IFD) == {}
        assert "icc_profile" not in after.info and "exif" not in after.info
    for planted in (b"Exif\x00\x00", b"PlantedCamera", files.PLANTED):
        assert planted not in clean


def test_the_exif_orientation_is_applied_before_it_is_dropped() -> None:
    image = Image.new("RGB", (40, 20), (0, 0, 255))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to view
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    with Image.open(io.BytesIO(sanitize(out.getvalue(), JPEG))) as upright:
        assert upright.size == (20, 40)


@pytest.mark.parametrize("data", [files.png(3, 2), files.jpeg()])
def test_minimal_clean_images_are_accepted(data: bytes) -> None:
    content_type = PNG if data.startswith(b"\x89PNG") else JPEG
    with Image.open(io.BytesIO(sanitize(data, content_type))) as image:
        assert image.size in ((3, 2), (1, 1))


def test_dimension_limits_are_a_policy() -> None:
    strict = ParsingSanitizer(ImageLimits(max_pixels=100, max_side=50))
    assert sanitize(files.png(10, 10), PNG, strict)
    for too_big in (files.png(11, 10), files.png(51, 1)):
        with pytest.raises(UnprocessableDocument) as refused:
            sanitize(too_big, PNG, strict)
        assert refused.value.reason == "image-too-large"


def test_a_large_re_encoding_spools_to_disk() -> None:
    noise = Image.frombytes("RGB", (800, 600), random.Random(14).randbytes(800 * 600 * 3))
    out = io.BytesIO()
    noise.save(out, format="PNG")  # noise stays big after re-encoding: past the spool size
    with ParsingSanitizer().sanitize(io.BytesIO(out.getvalue()), PNG) as clean:
        assert clean._rolled  # type: ignore[attr-defined]  # SpooledTemporaryFile's own flag
        assert clean.read(8) == b"\x89PNG\r\n\x1a\n"
