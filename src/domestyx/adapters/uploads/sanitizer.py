"""The UploadSanitizer port over Pillow and pypdf, spooling re-encodings to a temporary file."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO, cast

import attrs

from domestyx.adapters.uploads.containers import check_jpeg_end, check_pdf_end, check_png_end
from domestyx.adapters.uploads.images import ImageLimits, reencode
from domestyx.adapters.uploads.pdfs import check_pdf

SPOOL_IN_MEMORY = 1024 * 1024  # past this a re-encoding goes to disk, as Litestar's uploads do
_END_CHECKS = {"image/jpeg": check_jpeg_end, "image/png": check_png_end}


@attrs.frozen
class ParsingSanitizer:
    """Images: decoded and re-encoded, never stored as sent. PDFs: parsed, stored as sent."""

    limits: ImageLimits = ImageLimits()

    @contextmanager
    def sanitize(self, body: BinaryIO, content_type: str) -> Iterator[BinaryIO]:
        """Parse `body`; yield the bytes to store."""
        if content_type == "application/pdf":
            check_pdf_end(body)
            check_pdf(body)
            body.seek(0)
            yield body
            return
        _END_CHECKS[content_type](body)
        body.seek(0)
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
            sink = cast("BinaryIO", spool)
            reencode(body, content_type, sink, self.limits)
            sink.seek(0)
            yield sink
