"""uvicorn's HTTP/1.1 protocol (httptools) with a deadline on request headers (uvicorn has none).

uvicorn bounds idle keep-alive connections, but a client that connects and then sends its
request line and headers a byte at a time holds the connection (and a file descriptor) for
ever. Here every request's headers must be complete within `header_timeout_s` of the
connection opening, or of the previous response; otherwise the client gets a 408 and the
connection is closed.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

_TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain\r\ncontent-length: 33\r\n"
    b"connection: close\r\n\r\nThe request headers took too long"
)


class HeaderDeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol (C parser) that cuts clients whose headers are too slow.

    A module-level class, so uvicorn can name it in every worker process; the deadline is a
    class attribute that `served.build_app` sets from HEADER_TIMEOUT_SECONDS in each process.
    The clock runs from the connection's opening, then from each response, until the next
    request's headers are complete.
    """

    header_timeout_s: ClassVar[float] = 10.0
    _header_timer: asyncio.TimerHandle | None = None
    _awaiting_headers = True

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._await_headers()

    def on_headers_complete(self) -> None:
        self._awaiting_headers = False
        self._disarm()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # A pipelined request already had its headers; otherwise the next one starts now.
        if not self.pipeline and not self.transport.is_closing():
            self._await_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _await_headers(self) -> None:
        self._awaiting_headers = True
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._expired)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _expired(self) -> None:
        self._header_timer = None
        if self._awaiting_headers and not self.transport.is_closing():
            self.transport.write(_TIMEOUT_RESPONSE)
            self.transport.close()
