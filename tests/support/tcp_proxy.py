"""A loopback TCP proxy a test can break: refuse connections, or swallow the server's answers."""

from __future__ import annotations

import contextlib
import enum
import select
import socket
import threading
from typing import Self


class Mode(enum.Enum):
    """How the proxy treats traffic."""

    PASS = "pass"
    REFUSE = "refuse"  # new connections are closed at once, open ones are cut
    SWALLOW = "swallow"  # requests reach the server, answers never come back
    CUT_AFTER_ANSWER = "cut"  # the first answer is dropped, then everything is refused


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target; `mode` can change while traffic flows."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.mode = Mode.PASS
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def start(self) -> Self:
        """Accept in a daemon thread."""
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def set_mode(self, mode: Mode) -> None:
        """Switch behaviour; REFUSE also cuts every open connection."""
        self.mode = mode
        if mode is Mode.REFUSE:
            with self._lock:
                for sock in list(self._open):
                    _close(sock)
                self._open.clear()

    def stop(self) -> None:
        """Close everything."""
        self._stop.set()
        self.set_mode(Mode.REFUSE)
        _close(self._listener)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.mode is Mode.REFUSE:
                _close(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._open |= {client, upstream}
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        pairs = {client: upstream, upstream: client}
        try:
            while not self._stop.is_set():
                ready, _, _ = select.select(list(pairs), [], [], 0.2)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    if sock is upstream and self.mode is Mode.SWALLOW:
                        continue  # the server answered; the client never hears it
                    final = not data.startswith(b"HTTP/1.1 100")  # "100 Continue" is not the answer
                    if sock is upstream and self.mode is Mode.CUT_AFTER_ANSWER and final:
                        self.set_mode(Mode.REFUSE)  # the server acted; the client sees a crash
                        return
                    pairs[sock].sendall(data)
        except OSError:
            return
        finally:
            for sock in (client, upstream):
                _close(sock)
                with self._lock:
                    self._open.discard(sock)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
