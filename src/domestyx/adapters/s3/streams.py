"""A seekable window over an upload stream, so the SDK sends exactly the declared bytes."""

from __future__ import annotations

import io
from typing import BinaryIO


class BoundedReader:
    """The next `size` bytes of `raw`, from position 0; botocore hashes, rewinds, resends it."""

    def __init__(self, raw: BinaryIO, size: int) -> None:
        if size < 0:
            raise ValueError("size must not be negative")
        if not raw.seekable():
            # botocore rewinds the body to sign it and to retry, so it must be seekable.
            raise ValueError("upload body must be seekable")
        self._raw = raw
        self._start = raw.tell()
        self._size = size
        self._pos = 0
        available = raw.seek(0, io.SEEK_END) - self._start
        raw.seek(self._start)
        if available < size:
            raise ValueError(f"upload body holds {available} bytes, {size} declared")

    def read(self, n: int | None = -1) -> bytes:
        """At most `n` bytes, never past the window."""
        remaining = self._size - self._pos
        want = remaining if n is None or n < 0 else min(n, remaining)
        data = self._raw.read(want) if want else b""
        if want and not data:
            raise ValueError(f"upload body ended after {self._pos} of {self._size} bytes")
        self._pos += len(data)
        return data

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move within the window; positions are clamped to [0, size]."""
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, min(self._size, base + offset))
        self._raw.seek(self._start + self._pos)
        return self._pos

    def tell(self) -> int:
        """Position within the window."""
        return self._pos

    def seekable(self) -> bool:
        """Always: that is the point of the window."""
        return True

    def readable(self) -> bool:
        """Always."""
        return True
