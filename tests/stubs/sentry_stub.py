"""A loopback Sentry ingest endpoint: accepts envelopes, keeps the raw bytes and the events."""

from __future__ import annotations

import contextlib
import gzip
import re
import threading
import time
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import sentry_sdk
from sentry_sdk.envelope import Envelope

try:  # the SDK compresses with brotli only when it is importable, so mirror that
    import brotli  # type: ignore[import-not-found]
except ImportError:
    brotli = None

_ENVELOPE_PATH = re.compile(r"^/api/(?P<project>\d+)/envelope/$")
# Items that are SDK bookkeeping, not reports.
_SKIPPED_ITEMS = {"client_report", "session", "sessions"}


def _decompress(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    if encoding == "br" and brotli is not None:
        return bytes(brotli.decompress(body))
    return body


class SentryStub:
    """Start with `with SentryStub() as stub:`; point the SDK at `stub.dsn`."""

    def __init__(self, project: int = 1, public_key: str = "public") -> None:
        self.project = project
        self.public_key = public_key
        self.events: list[dict[str, Any]] = []
        self.envelopes: list[bytes] = []  # decompressed, exactly as sent
        self.auth_headers: list[str] = []
        self._changed = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        # A short poll interval keeps shutdown, and so each test's teardown, quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def dsn(self) -> str:
        """The DSN whose envelope URL is this server."""
        return f"http://{self.public_key}@127.0.0.1:{self._server.server_port}/{self.project}"

    @property
    def raw(self) -> bytes:
        """Every envelope received so far, concatenated."""
        with self._changed:
            return b"\n".join(self.envelopes)

    def wait_for(self, n: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Block until at least `n` events arrived; returns them (fewer on timeout)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.events) < n and (left := deadline - time.monotonic()) > 0:
                self._changed.wait(left)
            return list(self.events)

    def __enter__(self) -> SentryStub:
        self._thread.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _receive(self, body: bytes) -> None:
        envelope = Envelope.deserialize(body)
        with self._changed:
            self.envelopes.append(body)
            for item in envelope.items:
                if item.type in _SKIPPED_ITEMS:
                    continue
                event = item.get_event()
                if event is not None:
                    self.events.append(dict(event))
            self._changed.notify_all()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                match = _ENVELOPE_PATH.match(self.path.split("?", 1)[0])
                if match is None or int(match["project"]) != stub.project:
                    self._reply(404)
                    return
                auth = self.headers.get("X-Sentry-Auth", "")
                if f"sentry_key={stub.public_key}" not in auth:
                    self._reply(401)
                    return
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                body = _decompress(raw, self.headers.get("Content-Encoding", "").strip().lower())
                with stub._changed:
                    stub.auth_headers.append(auth)
                stub._receive(body)
                self._reply(200)

            def _reply(self, status: int) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
                """Quiet: test output stays readable."""

        return Handler


@contextlib.contextmanager
def isolated_sentry() -> Iterator[SentryStub]:
    """A fresh ingest stub in its own scope; Sentry is shut down and unset afterwards."""
    with SentryStub() as stub, sentry_sdk.isolation_scope():
        yield stub
        sentry_sdk.flush(5)
        sentry_sdk.get_client().close(timeout=2)
        sentry_sdk.get_global_scope().set_client(None)
