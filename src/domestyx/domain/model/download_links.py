"""Rules for download links: short-lived, attachment only, a filename that cannot inject headers."""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta
from pathlib import PurePosixPath

MAX_LINK_TTL = timedelta(seconds=300)
_FILENAME_MAX = 100
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# RFC 6838 type/subtype names without parameters: nothing that could break a header.
_NAME = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
_CONTENT_TYPE = re.compile(f"{_NAME}/{_NAME}")


def link_seconds(expires_in: timedelta) -> int:
    """Whole seconds of validity; longer than 5 minutes, or under a second, is refused."""
    if expires_in > MAX_LINK_TTL:
        raise ValueError(f"download links live at most {MAX_LINK_TTL.seconds} s")
    seconds = int(expires_in.total_seconds())
    if seconds < 1:
        raise ValueError("download links must live at least 1 s")
    return seconds


def safe_filename(name: str) -> str:
    """ASCII letters, digits, `._-` only, no leading dot, at most 100 characters."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = PurePosixPath(ascii_name.replace("\\", "/")).name
    cleaned = _UNSAFE.sub("_", base).lstrip(".")
    if len(cleaned) > _FILENAME_MAX:
        suffix = PurePosixPath(cleaned).suffix[:16]
        cleaned = cleaned[: _FILENAME_MAX - len(suffix)] + suffix
    return cleaned or "download"


def attachment(filename: str) -> str:
    """The Content-Disposition that makes browsers save instead of render."""
    return f'attachment; filename="{safe_filename(filename)}"'


def checked_content_type(content_type: str) -> str:
    """The content type itself, if it is a plain `type/subtype`."""
    if not _CONTENT_TYPE.fullmatch(content_type):
        raise ValueError(f"not a plain content type: {content_type!r}")
    return content_type
