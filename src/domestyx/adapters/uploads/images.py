"""Images are decoded with Pillow and re-encoded from their pixels alone.

The re-encoding carries no EXIF (GPS included), no ICC profile, no text chunks, no comments
and nothing that was appended: only what a reviewer needs to see.
"""

from __future__ import annotations

from typing import BinaryIO

import attrs
from PIL import Image, ImageOps, UnidentifiedImageError

from domestyx.domain.model.errors import UnprocessableDocument

_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}
_PNG_MODES = frozenset({"L", "LA", "RGB", "RGBA"})
# Pillow's own failures on hostile input: wrong format, broken or truncated data, bad sizes.
_DECODE_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError)


@attrs.frozen
class ImageLimits:
    """What a scan or a phone photo of a document needs, with room; beyond it is a bomb."""

    max_pixels: int = 36_000_000
    max_side: int = 12_000
    jpeg_quality: int = 90


def reencode(body: BinaryIO, content_type: str, sink: BinaryIO, limits: ImageLimits) -> None:
    """Decode `body` as `content_type` and write a clean image of the same format to `sink`."""
    fmt = _FORMATS[content_type]
    try:
        with Image.open(body, formats=[fmt]) as image:
            _check_size(image.size, limits)
            image.load()
            clean = _pixels_only(image, fmt)
    except Image.DecompressionBombError:
        raise _too_big() from None
    except _DECODE_ERRORS as exc:
        raise UnprocessableDocument(
            f"the {fmt} image could not be decoded", reason="undecodable"
        ) from exc
    if fmt == "JPEG":
        clean.save(sink, format="JPEG", quality=limits.jpeg_quality, optimize=True)
    else:
        clean.save(sink, format="PNG", optimize=True)


def _too_big() -> UnprocessableDocument:
    return UnprocessableDocument(
        "the image is larger than a document scan needs (a decompression bomb?)",
        reason="image-too-large",
    )


def _check_size(size: tuple[int, int], limits: ImageLimits) -> None:
    width, height = size
    if not width or not height:
        raise UnprocessableDocument("the image is empty", reason="undecodable")
    if max(width, height) > limits.max_side or width * height > limits.max_pixels:
        raise _too_big()


def _pixels_only(image: Image.Image, fmt: str) -> Image.Image:
    """Upright pixels in a plain mode, with every piece of metadata left behind."""
    ImageOps.exif_transpose(image, in_place=True)
    upright = image
    if fmt == "JPEG":
        mode = "L" if upright.mode in ("1", "L") else "RGB"
    elif upright.mode in _PNG_MODES:
        mode = upright.mode
    else:
        has_alpha = "transparency" in upright.info or upright.mode in ("PA", "RGBa", "La")
        mode = "RGBA" if has_alpha else "RGB"
    # `convert` always makes a new image (one copy in memory); it copies `info` (EXIF, ICC,
    # text, comments), which savers read, so that is emptied: only the pixels are left.
    clean = upright.convert(mode)
    clean.info = {}
    return clean
