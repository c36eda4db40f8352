"""A file-like view of a chunk iterator, so gzip can read a dump straight off the bucket."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator


class ChunkReader(io.RawIOBase):
    """Reads through the chunks in order, holding at most one of them."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        super().__init__()
        self._chunks: Iterator[bytes] = iter(chunks)
        self._current = memoryview(b"")

    def readable(self) -> bool:
        """Yes: this is a reader."""
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        """Fill `buffer` from the current chunk, fetching the next when it runs out."""
        while not self._current:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._current = memoryview(chunk)
        size = min(len(buffer), len(self._current))
        buffer[:size] = self._current[:size]
        self._current = self._current[size:]
        return size

    def close(self) -> None:
        """Release the underlying stream (a generator's finally closes its socket or file)."""
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()
        super().close()


def chunk_file(chunks: Iterable[bytes]) -> io.BufferedReader:
    """A buffered binary file over the chunks (what gzip and hashing read from)."""
    return io.BufferedReader(ChunkReader(chunks), buffer_size=1 << 16)
