"""ASGI middleware: request id, client IP, security headers and the access log."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from domestyx.entrypoints.http.api_docs import DOCS_CSP
from domestyx.entrypoints.http.client_ip import Network, client_ip
from domestyx.entrypoints.http.context import reset_request_id, set_request_id

access_log = logging.getLogger("domestyx.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_API_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"cache-control", b"no-store"),
]

# The API reference page runs vendored Swagger UI: same-origin scripts only (api_docs.py).
_DOCS_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", DOCS_CSP.encode()),
]


class EdgeMiddleware:
    """Runs first: names the request, finds the client, logs the outcome."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        trusted: Sequence[Network],
        hsts: bool,
        on_request: Callable[[str], AbstractContextManager[None]] | None = None,
    ) -> None:
        self.app = app
        self.trusted = trusted
        self.hsts = hsts
        self.on_request = on_request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wrap one HTTP request."""
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        incoming = headers.get("x-request-id", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = set_request_id(request_id)
        # e.g. a Sentry scope for this request, tagged with its id
        request_context = nullcontext() if self.on_request is None else self.on_request(request_id)
        peer = (scope.get("client") or ("", 0))[0] or ""
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["client_ip"] = client_ip(peer, headers.get("x-forwarded-for"), self.trusted)
        started = time.perf_counter()
        status = {"code": 500}
        path = scope.get("path", "")

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                extra = (
                    []
                    if _has(message, b"x-request-id")
                    else [(b"x-request-id", request_id.encode())]
                )
                if path.startswith(("/api/", "/health", "/dev/", "/files/")):
                    extra += [h for h in _API_HEADERS if not _has(message, h[0])]
                elif path.startswith("/schema"):
                    extra += [h for h in _DOCS_HEADERS if not _has(message, h[0])]
                if self.hsts:
                    extra.append(
                        (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
                    )
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        try:
            with request_context:
                await self.app(scope, receive, send_wrapper)
        finally:
            _log(scope, state, status["code"], started)
            reset_request_id(token)


def _has(message: Message, name: bytes) -> bool:
    headers: Any = message.get("headers", [])
    return any(key.lower() == name for key, _ in headers)


def _route(scope: Scope) -> str | None:
    handler = scope.get("route_handler")
    paths = sorted(getattr(handler, "paths", ()) or ())
    return paths[0] if paths else None


def _log(scope: Scope, state: dict[str, Any], status: int, started: float) -> None:
    access_log.info(
        "%s %s %s",
        scope.get("method", ""),
        scope.get("path", ""),
        status,
        extra={
            "method": scope.get("method", ""),
            "path": scope.get("path", ""),
            "route": _route(scope),
            "status": status,
            "latency_ms": round((time.perf_counter() - started) * 1000, 2),
            "client_ip": state.get("client_ip"),
            "account_id": state.get("account_id"),
        },
    )
