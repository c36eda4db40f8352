"""Streaming, atomic file writes: readers never see half a file; a crash leaves a temp file."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

CHUNK = 1024 * 1024
TEMP_SUFFIX = ".tmp"


def chunks(body: BinaryIO, size: int) -> Iterator[bytes]:
    """Exactly `size` bytes of `body`, at most CHUNK at a time; a short body is an error."""
    if size < 0:
        raise ValueError("size must not be negative")
    remaining = size
    while remaining:
        data = body.read(min(CHUNK, remaining))
        if not data:
            raise ValueError(f"upload body ended after {size - remaining} of {size} bytes")
        remaining -= len(data)
        yield data


def write_temp(directory: Path, stem: str, parts: Iterable[bytes]) -> Path:
    """Write into a fresh hidden 0600 temp file next to the target, flushed to disk."""
    fd, name = tempfile.mkstemp(dir=directory, prefix=f".{stem}.", suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                out.write(part)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        discard(Path(name))
        raise
    return Path(name)


def replace_atomically(path: Path, parts: Iterable[bytes]) -> None:
    """Whole new content or the old one, never a mix."""
    os.replace(write_temp(path.parent, path.name, parts), path)


def discard(path: Path) -> None:
    """Remove a file that may already be gone."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
