"""Issue 13 over real sockets against `domestyx serve` with Sentry on (a local envelope stub).

Malformed bodies are 400 problems and send no event; slow headers and slow bodies are cut;
readiness is quiet without its token; a replayed webhook is acknowledged and changes nothing.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs
import httpx
import pytest

from tests.stubs.resend_stub import new_signing_secret, svix_headers
from tests.stubs.sentry_stub import SentryStub
from tests.stubs.twilio_stub import AUTH_TOKEN
from tests.support.app import DUMMY_TOKEN, PASSWORD
from tests.support.problems import assert_problem
from tests.support.serve import app_server
from tests.support.services import wait_until

pytestmark = pytest.mark.e2e
SVIX_SECRET = new_signing_secret()
HEALTH_TOKEN = "h" * 40
JSON_ROUTES = ("/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/webhooks/resend")
MALFORMED = {
    "open-brace": b"{",
    "truncated": b'{"email": "a@example.com"',
    "invalid-utf8": b'{"email": "\xff\xfe"}',
    "lone-surrogate": '{"email": "\udcff"}'.encode("utf-8", "surrogatepass"),
    "deep-arrays": b"[" * 50_000,
    "deep-objects": b'{"a":' * 40 + b"1" + b"}" * 40,
    "deep-after-a-string": b'{"s": "]]]]\\"[[", "x": ' + b"[" * 33 + b"]" * 33 + b"}",
    "wrong-types": b'{"email": 42, "password": ["x"], "turnstile_token": null}',
}


@attrs.frozen
class Served:
    base: str
    sentry: SentryStub
    var_dir: Path

    @property
    def address(self) -> tuple[str, int]:
        parts = urlsplit(self.base)
        return parts.hostname or "127.0.0.1", parts.port or 80


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    var_dir = Path(tmp_path_factory.mktemp("posture"))
    with SentryStub() as sentry:
        env = {
            "SENTRY_DSN_BACKEND": sentry.dsn,
            "NO_PROXY": "127.0.0.1,localhost",
            "HEADER_TIMEOUT_SECONDS": "1",
            "BODY_TIMEOUT_SECONDS": "2",
            "UPLOAD_MIN_BYTES_PER_SECOND": "1000",
            "HEALTH_DETAIL_TOKEN": HEALTH_TOKEN,
            "RESEND_WEBHOOK_SECRET": SVIX_SECRET,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        }
        with app_server(var_dir, env) as base:
            yield Served(base, sentry, var_dir)


@pytest.fixture
def http(served: Served) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served.base, timeout=10, trust_env=False) as client:
        yield client


def no_events(sentry: SentryStub, wait: float = 1.5) -> list[dict[str, Any]]:
    """What reached Sentry after giving the server's transport time to send."""
    return sentry.wait_for(1, timeout=wait)


@pytest.mark.parametrize("path", JSON_ROUTES)
@pytest.mark.parametrize("body", list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_json_is_a_400_problem(http: httpx.Client, path: str, body: bytes) -> None:
    response = http.post(path, content=body, headers={"content-type": "application/json"})
    if path.endswith("/resend") and body == MALFORMED["wrong-types"]:
        assert_problem(response, 401)  # well-formed JSON: the signature decides
    else:
        assert_problem(response, 400)


def test_no_malformed_body_reached_sentry(http: httpx.Client, served: Served) -> None:
    for body in MALFORMED.values():
        for path in JSON_ROUTES:
            response = http.post(path, content=body, headers={"content-type": "application/json"})
            assert response.status_code < 500
    assert no_events(served.sentry) == []


def test_a_json_body_over_the_limit_is_a_413_problem(http: httpx.Client) -> None:
    body = b'{"email": "' + b"a" * 70_000 + b'"}'
    response = http.post(JSON_ROUTES[0], content=body, headers={"content-type": "application/json"})
    assert_problem(response, 413)


def _raw(served: Served) -> socket.socket:
    sock = socket.create_connection(served.address, timeout=10)
    sock.settimeout(10)
    return sock


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_headers_that_never_finish_are_cut(served: Served) -> None:
    started = time.monotonic()
    with _raw(served) as sock:
        sock.sendall(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\n")
        answer = _read_all(sock)  # returns when the server closes
    assert answer.startswith(b"HTTP/1.1 408")
    assert 0.8 < time.monotonic() - started < 5


def test_a_connection_that_sends_nothing_is_closed(served: Served) -> None:
    started = time.monotonic()
    with _raw(served) as sock:
        _read_all(sock)
    assert time.monotonic() - started < 5


def test_headers_dribbled_a_byte_at_a_time_are_cut(served: Served) -> None:
    request = b"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 200
    started = time.monotonic()
    with _raw(served) as sock:
        try:
            for byte in request:
                sock.sendall(bytes([byte]))
                time.sleep(0.05)
        except OSError:
            pass  # closed on us mid-way: that is the point
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408")
    assert time.monotonic() - started < 5


def test_a_json_body_that_never_finishes_gets_408(served: Served) -> None:
    started = time.monotonic()
    with _raw(served) as sock:
        sock.sendall(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 100\r\n\r\n{"email": '
        )
        answer = _read_all(sock)
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 408 Request Timeout", answer
    assert b"application/problem+json" in rest and b"request-timeout" in rest
    assert 1.5 < time.monotonic() - started < 6


def test_an_upload_slower_than_the_minimum_rate_gets_408(served: Served) -> None:
    boundary = b"x" * 16
    started = time.monotonic()
    with _raw(served) as sock:
        sock.sendall(
            b"POST /api/v1/documents HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: multipart/form-data; boundary=" + boundary + b"\r\n"
            b"Content-Length: 1000000\r\n\r\n--" + boundary + b"\r\n"
        )
        try:
            for _ in range(200):  # 100 bytes/s: far under the 1000 bytes/s minimum
                sock.sendall(b"a" * 10)
                time.sleep(0.1)
        except OSError:
            pass
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert time.monotonic() - started < 10


def test_slow_clients_sent_nothing_to_sentry(served: Served) -> None:
    assert no_events(served.sentry) == []


def test_ready_tells_the_public_only_ok_or_failing(http: httpx.Client) -> None:
    public = http.get("/health/ready")
    assert public.status_code == 200 and set(public.json()) == {"status", "checks"}
    assert {name: set(check) for name, check in public.json()["checks"].items()} == {
        name: {"status"} for name in ("database", "redis", "storage", "broker")
    }
    detailed = http.get("/health/ready", headers={"Authorization": f"Bearer {HEALTH_TOKEN}"})
    assert all("detail" in check for check in detailed.json()["checks"].values())


def _provider_id(served: Served, channel: str) -> str | None:
    from sqlalchemy import create_engine, select

    from domestyx.adapters.sql import tables as t

    engine = create_engine(f"sqlite:///{served.var_dir / 'domestyx.db'}")
    try:
        with engine.connect() as conn:
            query = select(t.deliveries.c.provider_id).where(t.deliveries.c.channel == channel)
            ids = [row[0] for row in conn.execute(query) if row[0]]
    finally:
        engine.dispose()
    return ids[-1] if ids else None


def test_webhook_replays_are_acknowledged_and_change_nothing(
    http: httpx.Client, served: Served
) -> None:
    body = {"email": "replay@example.com", "phone": "+447700900777", "password": PASSWORD,
            "role": "worker", "turnstile_token": DUMMY_TOKEN}  # fmt: skip
    assert http.post("/api/v1/auth/register", json=body).status_code == 202
    assert wait_until(lambda: _provider_id(served, "email") is not None, timeout=15)
    event = {"type": "email.delivered", "data": {"email_id": _provider_id(served, "email")}}
    payload = json.dumps(event).encode()
    headers = {**svix_headers(SVIX_SECRET, payload), "content-type": "application/json"}
    answers = [http.post("/api/v1/webhooks/resend", content=payload, headers=headers) for _ in "ab"]
    assert [a.status_code for a in answers] == [200, 200]
    assert [a.json()["applied"] for a in answers] == [1, 0]
    assert answers[1].json()["replayed"] == 1
    assert no_events(served.sentry) == []
