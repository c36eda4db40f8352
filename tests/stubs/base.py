"""A loopback HTTP stub in a thread: records and validates every request, can script faults."""

from __future__ import annotations

import abc
import json
import os
import socket
import threading
from collections import deque
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal, Self
from urllib.parse import parse_qs, urlsplit

import attrs

_REPO_CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"


def contract_file(name: str) -> Path:
    """A provider spec from the repo's contracts/ (DOMESTYX_CONTRACTS_DIR may point elsewhere)."""
    folder = Path(os.environ.get("DOMESTYX_CONTRACTS_DIR") or _REPO_CONTRACTS)
    path = folder / name
    if not path.is_file():
        raise FileNotFoundError(f"provider contract {path} is missing from the repository")
    return path


@attrs.define
class RecordedRequest:
    """One request as it arrived, with the contract rules it broke (empty when it kept them)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    violations: list[str] = attrs.Factory(list)

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)

    def form(self) -> dict[str, list[str]]:
        """The body as a urlencoded form."""
        return parse_qs(self.body.decode(), keep_blank_values=True)


@attrs.frozen
class Reply:
    """What the stub answers."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = attrs.Factory(dict)

    @classmethod
    def json(cls, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Reply:
        """A JSON answer, with the Content-Type both SDKs insist on."""
        merged = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        return cls(status, json.dumps(payload).encode(), merged)


@attrs.frozen
class Violation:
    """A broken contract rule and the answer the real provider gives for it."""

    message: str
    reply: Reply


FaultKind = Literal["reply", "timeout", "malformed", "disconnect"]


@attrs.frozen
class Fault:
    """A scripted answer for the next request, served instead of normal handling."""

    kind: FaultKind
    reply: Reply | None = None

    @classmethod
    def answer(cls, reply: Reply) -> Fault:
        """Answer with this status and body."""
        return cls("reply", reply)

    @classmethod
    def timeout(cls) -> Fault:
        """Sleep past the client's timeout; nothing is accepted."""
        return cls("timeout")

    @classmethod
    def malformed(cls) -> Fault:
        """200 labelled JSON whose body is not JSON."""
        return cls("malformed")

    @classmethod
    def disconnect(cls) -> Fault:
        """Close the connection without answering."""
        return cls("disconnect")


class StubServer(abc.ABC):
    """Subclasses implement check() (contract rules) and handle() (the provider's behaviour)."""

    def __init__(self, *, timeout_sleep: float = 3.0) -> None:
        self.requests: list[RecordedRequest] = []
        self.faults: deque[Fault] = deque()
        # Seconds to wait after recording, before answering; the request is still accepted.
        self.delay_s = 0.0
        self.timeout_sleep = timeout_sleep
        self.lock = threading.RLock()
        self._arrived = threading.Condition(self.lock)
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @abc.abstractmethod
    def check(self, request: RecordedRequest) -> list[Violation]:
        """Contract rules the request breaks."""

    @abc.abstractmethod
    def handle(self, request: RecordedRequest) -> Reply:
        """The provider's answer to a request that kept the contract."""

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:54321."""
        assert self._server is not None, "start() the stub first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        """Listen on a free loopback port, serving from a daemon thread."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.block_on_close = False
        server.stub = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and wake any sleeping handler."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def script(self, *faults: Fault) -> None:
        """Queue answers for the next requests, in order."""
        with self.lock:
            self.faults.extend(faults)

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> bool:
        """Block until `count` requests have been recorded."""
        with self._arrived:
            return self._arrived.wait_for(lambda: len(self.requests) >= count, timeout)

    def dispatch(self, request: RecordedRequest) -> Fault | Reply:
        """Record, validate, pause if asked, then answer (called on the handler thread)."""
        violations = self.check(request)
        request.violations.extend(v.message for v in violations)
        with self._arrived:
            self.requests.append(request)
            fault = self.faults.popleft() if self.faults else None
            self._arrived.notify_all()
        if self.delay_s:
            self._stopping.wait(self.delay_s)
        if fault is not None:
            return fault
        if violations:
            return violations[0].reply
        with self.lock:
            return self.handle(request)

    def sleep_past_timeout(self) -> None:
        """Interruptible by stop(), so teardown never waits for it."""
        self._stopping.wait(self.timeout_sleep)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDKs' pooled sessions expect

    def setup(self) -> None:
        super().setup()
        # Headers and body leave in two writes; without this, Nagle + delayed ACK add 40 ms each.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Quiet: the recorded requests are the log."""

    def _serve(self) -> None:
        stub: StubServer = self.server.stub  # type: ignore[attr-defined]
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = RecordedRequest(
            method=self.command,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        outcome = stub.dispatch(request)
        if isinstance(outcome, Reply):
            self._write(outcome)
        elif outcome.kind == "reply" and outcome.reply is not None:
            self._write(outcome.reply)
        elif outcome.kind == "malformed":
            self._write(Reply(200, b'{"id": "trunc', {"Content-Type": "application/json"}))
        elif outcome.kind == "timeout":
            stub.sleep_past_timeout()
            self._write(Reply.json(504, {"message": "stub timeout"}))
        else:
            self.close_connection = True

    def _write(self, reply: Reply) -> None:
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except OSError:
            self.close_connection = True  # the client gave up (timeout, killed worker)
