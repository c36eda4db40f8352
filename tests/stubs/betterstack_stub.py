"""A loopback Better Stack Uptime API: monitors, heartbeats, pagination and heartbeat pings."""

from __future__ import annotations

import json
import re
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import attrs

_COLLECTION = re.compile(r"^/api/v2/(?P<kind>monitors|heartbeats)(?:/(?P<id>[^/]+))?$")
_PING = re.compile(r"^/api/v1/heartbeat/(?P<token>[A-Za-z0-9]+)(?P<fail>/fail)?$")
_TYPES = {"monitors": "monitor", "heartbeats": "heartbeat"}
# What the real API fills in when a create leaves a field out.
_MONITOR_DEFAULTS: dict[str, Any] = {
    "monitor_type": "status",
    "check_frequency": 180,
    "regions": ["us", "eu", "as", "au"],
    "expected_status_codes": [],
    "request_timeout": 30,
    "http_method": "get",
    "confirmation_period": 0,
    "recovery_period": 180,
    "paused": False,
}
_REQUIRED = {"monitors": ("url",), "heartbeats": ("name", "period")}


@attrs.frozen
class Ping:
    """One hit on a heartbeat URL."""

    token: str
    failed: bool
    method: str
    body: str


class BetterStackStub:
    """Start with `with BetterStackStub(token) as stub:`; clients use `stub.base_url`."""

    def __init__(self, token: str, *, page_size: int = 2) -> None:
        self.token = token
        self.page_size = page_size
        self.resources: dict[str, dict[str, dict[str, Any]]] = {"monitors": {}, "heartbeats": {}}
        self.requests: list[tuple[str, str]] = []
        self.pings: list[Ping] = []
        self._lock = threading.Lock()
        self._ids = iter(range(100, 1_000_000))
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        # A short poll interval keeps shutdown, and so each test's teardown, quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def origin(self) -> str:
        """scheme://host:port of the server."""
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def base_url(self) -> str:
        """The API v2 base URL."""
        return f"{self.origin}/api/v2"

    @property
    def writes(self) -> list[tuple[str, str]]:
        """Requests that change state on the API."""
        with self._lock:
            return [(m, p) for m, p in self.requests if m in ("POST", "PATCH", "DELETE")]

    def __enter__(self) -> BetterStackStub:
        self._thread.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def create(self, kind: str, attributes: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """POST /api/v2/<kind>: 422 with per-field errors, else 201 with the stored resource."""
        missing = [f for f in _REQUIRED[kind] if attributes.get(f) in (None, "")]
        if missing:
            return 422, {"errors": {f: ["Can't be blank."] for f in missing}}
        if kind == "heartbeats" and int(attributes["period"]) < 30:
            return 422, {"errors": {"period": ["must be greater than or equal to 30"]}}
        with self._lock:
            resource_id = str(next(self._ids))
            stored = self._initial(kind, attributes)
            self.resources[kind][resource_id] = stored
        return 201, self._document(kind, resource_id, stored)

    def update(self, kind: str, resource_id: str, attributes: dict[str, Any]) -> tuple[int, Any]:
        """PATCH /api/v2/<kind>/<id>: merge the given fields."""
        with self._lock:
            stored = self.resources[kind].get(resource_id)
            if stored is None:
                return 404, {"errors": f"Resource with id = {resource_id} was not found"}
            stored.update(attributes)
        return 200, self._document(kind, resource_id, stored)

    def page(self, kind: str, number: int) -> dict[str, Any]:
        """GET /api/v2/<kind>?page=N with `pagination.next` while more remain."""
        with self._lock:
            items = sorted(self.resources[kind].items(), key=lambda item: int(item[0]))
        chunk = items[(number - 1) * self.page_size : number * self.page_size]
        more = number * self.page_size < len(items)
        return {
            "data": [self._document(kind, rid, attrs_)["data"] for rid, attrs_ in chunk],
            "pagination": {
                "first": f"{self.base_url}/{kind}?page=1",
                "prev": f"{self.base_url}/{kind}?page={number - 1}" if number > 1 else None,
                "next": f"{self.base_url}/{kind}?page={number + 1}" if more else None,
            },
        }

    def heartbeat_url(self, name: str) -> str:
        """The ping URL the stub issued for a heartbeat."""
        with self._lock:
            found = [a["url"] for a in self.resources["heartbeats"].values() if a["name"] == name]
        return str(found[0])

    def _initial(self, kind: str, attributes: dict[str, Any]) -> dict[str, Any]:
        if kind == "monitors":
            stored = {**_MONITOR_DEFAULTS, "pronounceable_name": attributes["url"], **attributes}
            return {**stored, "status": "pending"}
        token = secrets.token_hex(12)
        url = f"{self.origin}/api/v1/heartbeat/{token}"
        return {"grace": 0, **attributes, "url": url, "status": "pending"}

    @staticmethod
    def _document(kind: str, resource_id: str, stored: dict[str, Any]) -> dict[str, Any]:
        return {"data": {"id": resource_id, "type": _TYPES[kind], "attributes": dict(stored)}}

    def _record_ping(self, token: str, failed: bool, method: str, body: str) -> bool:
        with self._lock:
            known = any(
                a["url"].endswith(f"/{token}") for a in self.resources["heartbeats"].values()
            )
            if known:
                self.pings.append(Ping(token, failed, method, body))
        return known

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._route("GET")

            def do_POST(self) -> None:
                self._route("POST")

            def do_PATCH(self) -> None:
                self._route("PATCH")

            def _route(self, method: str) -> None:
                parts = urlsplit(self.path)
                with stub._lock:
                    stub.requests.append((method, parts.path))
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                ping = _PING.match(parts.path)
                if ping is not None and method in ("GET", "POST"):
                    ok = stub._record_ping(ping["token"], bool(ping["fail"]), method, body.decode())
                    self._reply(200 if ok else 404, "OK" if ok else "Not found")
                    return
                if self.headers.get("Authorization") != f"Bearer {stub.token}":
                    self._reply(401, {"errors": "Invalid Team API token"})
                    return
                self._api(method, parts.path, parse_qs(parts.query), body)

            def _api(
                self, method: str, path: str, query: dict[str, list[str]], body: bytes
            ) -> None:
                match = _COLLECTION.match(path)
                if match is None:
                    self._reply(404, {"errors": "Not found"})
                    return
                kind, resource_id = match["kind"], match["id"]
                if method == "GET" and resource_id is None:
                    self._reply(200, stub.page(kind, int(query.get("page", ["1"])[0])))
                    return
                try:
                    payload = json.loads(body or b"{}")
                except ValueError:
                    self._reply(400, {"errors": "Malformed JSON"})
                    return
                if method == "POST" and resource_id is None:
                    self._reply(*stub.create(kind, payload))
                elif method == "PATCH" and resource_id is not None:
                    self._reply(*stub.update(kind, resource_id, payload))
                else:
                    self._reply(405, {"errors": "Method not allowed"})

            def _reply(self, status: int, body: Any) -> None:
                is_text = isinstance(body, str)
                raw = body.encode() if is_text else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain" if is_text else "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
                """Quiet: test output stays readable."""

        return Handler
