"""Helpers for the browser test: the app as a subprocess (it serves its own Turnstile stand-in),
a Sentry ingest endpoint, an origin fence, and Debian's Chromium driven by Playwright (never a
downloaded browser)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from PIL import Image
from playwright.sync_api import BrowserContext
from sentry_sdk.envelope import Envelope

from tests.support.files import png

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
# The flags this machine needs: no sandbox as root, and no calls home on a closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DUMMY_TOKEN = "XXXX.DUMMY.TOKEN.XXXX"
# The embedded default serves its own Turnstile stand-in (static/dev/turnstile-stand-in.js).
STAND_IN_PATH = "/dev/assets/turnstile-stand-in.js"


def origin_of(url: str) -> str:
    """scheme://host:port of a URL (the port always written, so equal origins compare equal)."""
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme, 0)
    return f"{parts.scheme}://{parts.hostname}:{port}"


# Chromium sends everything but loopback to a dead proxy (the discard port), so no request
# can leave the machine whatever the page asks for; loopback (the app, the Sentry receiver)
# goes direct. The fence below then fails the test on any attempt at another origin.
NO_ROUTE_OUT = ["--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=127.0.0.1"]


class OriginFence:
    """Records every request of a browser context; those to other origins are the failures.

    It only observes (Chromium's NO_ROUTE_OUT does the blocking): intercepting requests with
    Playwright's router would also delay keepalive requests such as Sentry's envelopes.
    """

    def __init__(self, *allowed: str) -> None:
        self.allowed = {origin_of(url) for url in allowed}
        self.blocked: list[str] = []
        self.seen: list[str] = []

    def install(self, context: BrowserContext) -> None:
        """Watch every request the context makes."""
        context.on("request", lambda request: self.watch(request.url))

    def watch(self, url: str) -> None:
        """Keep the URL; note it as an escape attempt when its origin is not allowed."""
        if url.startswith(("data:", "blob:", "about:")):
            return
        self.seen.append(url)
        if origin_of(url) not in self.allowed:
            self.blocked.append(url)


def assert_screenshot(path: Path, min_colours: int = 8) -> None:
    """The file exists, is a PNG of a real page (many colours, not a blank or error frame)."""
    assert path.is_file(), f"{path} was not written"
    assert path.stat().st_size > 5_000, f"{path} is suspiciously small"
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.width >= 800 and image.height >= 400
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
        assert colours is None or len(colours) >= min_colours, f"{path} is nearly blank"


class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Test output stays readable."""

    def reply(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def _serve(handler: type[BaseHTTPRequestHandler], owner: Any) -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.owner = owner  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


class SentryReceiver:
    """A Sentry envelope endpoint as browsers call it: key in the query string, no preflight."""

    def __init__(self, project: int = 7, public_key: str = "browserkey") -> None:
        self.project = project
        self.public_key = public_key
        self.events: list[dict[str, Any]] = []
        self.dsn = ""
        self._changed = threading.Condition()

    @contextmanager
    def running(self) -> Iterator[SentryReceiver]:
        class Handler(_Quiet):
            def do_POST(self) -> None:
                owner: SentryReceiver = self.server.owner  # type: ignore[attr-defined]
                split = urlsplit(self.path)
                key = parse_qs(split.query).get("sentry_key", [""])[0]
                auth = self.headers.get("X-Sentry-Auth", "")
                expected = f"/api/{owner.project}/envelope/"
                authorized = key == owner.public_key or f"sentry_key={owner.public_key}" in auth
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if split.path != expected or not authorized:
                    self.reply(401, b"{}", "application/json")
                    return
                owner.receive(body)
                self.reply(200, b"{}", "application/json")

        with _serve(Handler, self) as port:
            self.dsn = f"http://{self.public_key}@127.0.0.1:{port}/{self.project}"
            yield self

    def receive(self, body: bytes) -> None:
        """Keep the error events of an envelope (sessions and client reports are bookkeeping)."""
        envelope = Envelope.deserialize(body)
        with self._changed:
            for item in envelope.items:
                event = item.get_event() if item.type == "event" else None
                if event is not None:
                    self.events.append(dict(event))
            self._changed.notify_all()

    def wait_for_message(self, text: str, timeout: float = 10.0) -> dict[str, Any] | None:
        """The first event whose exception value contains `text`."""

        def find() -> dict[str, Any] | None:
            for event in self.events:
                values = (event.get("exception") or {}).get("values") or []
                if any(text in str(v.get("value", "")) for v in values):
                    return event
            return None

        with self._changed:
            self._changed.wait_for(lambda: find() is not None, timeout)
            return find()


def create_reviewer(var_dir: Path, email: str, phone: str, password: str) -> str:
    """The operator's way: `domestyx create-admin --role reviewer`; returns what it printed."""
    env = {
        **os.environ,
        "DOMESTYX_VAR_DIR": str(var_dir),
        "DOMESTYX_ADMIN_PASSWORD": password,
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "8192",
    }
    command = [str(Path(sys.executable).parent / "domestyx"), "create-admin"]
    done = subprocess.run(
        [*command, "--email", email, "--phone", phone, "--role", "reviewer"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.stdout


def outbox_code(base: str, to: str, *, after: str = "", timeout: float = 15.0) -> str:
    """The newest 6-digit code sent to `to` (newer than `after`), read from GET /dev/outbox."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        entries = httpx.get(
            f"{base}/dev/outbox", headers={"Accept": "application/json"}, timeout=5
        ).json()
        for entry in entries:  # newest first
            match = re.search(r"\b(\d{6})\b", entry["body"])
            if entry["to"] == to and match and entry["created_at"] > after:
                return match.group(1)
        time.sleep(0.1)
    raise AssertionError(f"no code for {to} in the dev outbox")


def turnstile_tokens(requests: list[tuple[str, str | None]]) -> dict[str, list[str]]:
    """Per protected endpoint, the turnstile_token values the browser sent."""
    sent: dict[str, list[str]] = {}
    for url, body in requests:
        path = urlsplit(url).path
        if body and path.startswith("/api/v1/auth/"):
            token = json.loads(body).get("turnstile_token")
            if token is not None:
                sent.setdefault(path.removeprefix("/api/v1/auth/"), []).append(token)
    return sent


def verified_account(base: str, email: str, phone: str, password: str) -> None:
    """Register and prove both contacts over HTTP, as the pages would."""
    api = f"{base}/api/v1/auth"
    body = {"email": email, "phone": phone, "password": password, "role": "worker"}
    response = httpx.post(f"{api}/register", json={**body, "turnstile_token": DUMMY_TOKEN})
    assert response.status_code == 202, response.text
    for channel, destination, purpose in (
        ("email", email, "verify_email"),
        ("sms", phone, "verify_phone"),
    ):
        if channel == "sms":
            send = {"channel": channel, "destination": destination, "purpose": purpose}
            response = httpx.post(f"{api}/otp/send", json={**send, "turnstile_token": DUMMY_TOKEN})
            assert response.status_code == 202, response.text
        verify = {"channel": channel, "destination": destination, "purpose": purpose}
        response = httpx.post(
            f"{api}/otp/verify", json={**verify, "code": outbox_code(base, destination)}
        )
        assert response.status_code == 200, response.text


def submitted_worker(base: str, email: str, phone: str, password: str) -> str:
    """A verified worker with both required documents submitted; returns the submission id."""
    verified_account(base, email, phone, password)
    login = {"email": email, "password": password, "turnstile_token": DUMMY_TOKEN}
    tokens = httpx.post(f"{base}/api/v1/auth/login", json=login).json()
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    for kind in ("passport", "police_clearance"):
        files = {"file": ("scan.png", png(4, 4), "image/png")}
        response = httpx.post(
            f"{base}/api/v1/documents", data={"kind": kind}, files=files, headers=auth
        )
        assert response.status_code == 201, response.text
    response = httpx.post(f"{base}/api/v1/verification/submit", headers=auth)
    assert response.status_code == 202, response.text
    return str(response.json()["id"])
