"""uvicorn's HTTP/1.1 protocol with a deadline on request headers (uvicorn has none).

uvicorn bounds idle keep-alive connections, but a client that connects and then sends its
request line and headers a byte at a time holds the connection (and a file descriptor) for
ever. Here every request's headers must be complete within `header_timeout_s` of the
connection opening, or of the previous response; otherwise the client gets a 408 and the
connection is closed.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

_TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain\r\ncontent-length: 33\r\n"
    b"connection: close\r\n\r\nThe request headers took too long"
)


class HeaderDeadlineProtocol(H11Protocol):
    """An H11Protocol that cuts clients whose headers do not arrive in time.

    A module-level class, so uvicorn can name it in every worker process; the deadline is a
    class attribute that `served.build_app` sets from HEADER_TIMEOUT_SECONDS in each process.
    """

    header_timeout_s: ClassVar[float] = 10.0
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._header_timer is None and self.conn.their_state is h11.IDLE:
            self._arm()  # a new request starts on a kept-alive connection
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._expired)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _expired(self) -> None:
        self._header_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.write(_TIMEOUT_RESPONSE)
            self.transport.close()
