"""Request bodies before anything reads them: JSON is checked whole, slow senders are cut.

Sentry's Litestar integration parses the JSON body before the route (and its error handling)
runs, so a malformed body there is a 500 and an event. This middleware runs first: a JSON
body must arrive within a deadline, fit the limit, be UTF-8, nest no deeper than a fixed
depth (checked by scanning, before any parse) and parse; otherwise the client gets a 4xx
problem and nothing downstream sees the request. Other bodies (uploads, form callbacks) are
held to a minimum average rate instead of a total time.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, cast

import attrs
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.types import (
    ASGIApp,
    HTTPRequestEvent,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Receive,
    ReceiveMessage,
    Scope,
    Send,
)

from domestyx.entrypoints.http.json_checks import json_problem
from domestyx.entrypoints.http.problems import MEDIA_TYPE, problem_body


class RequestTimeout(HTTPException):
    """408: the body did not arrive in time (raised from `receive`, mapped by problems.py)."""

    status_code = 408


class _Refused(Exception):
    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


@attrs.frozen
class BodyLimits:
    """Bounds on request bodies; the slow-client bounds are settings so tests can shrink them."""

    json_max_bytes: int = 64 * 1024
    json_timeout_s: float = 30.0
    upload_grace_s: float = 30.0
    upload_min_bytes_per_s: int = 10_000


class BodyGuard:
    """ASGI middleware; place it right after the edge middleware (request id set)."""

    def __init__(self, app: ASGIApp, *, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check or bound the body of one HTTP request."""
        if scope["type"] != ScopeType.HTTP or scope.get("method") in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        if not _is_json(headers.get(b"content-type", b"")):
            await self.app(scope, self._rate_bounded(receive), send)
            return
        try:
            body = await self._read_json(headers, receive)
        except _Refused as exc:
            await _send_problem(scope, send, exc.status, exc.code, exc.detail)
            return
        # Empty: the route says what. Whitespace is not empty: Sentry would fail to parse it.
        refused = json_problem(body) if body else None
        if refused is not None:
            await _send_problem(scope, send, 400, *refused)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read_json(self, headers: dict[bytes, bytes], receive: Receive) -> bytes:
        limit = self.limits.json_max_bytes
        declared = headers.get(b"content-length", b"").strip()
        if declared.isdigit() and int(declared) > limit:
            raise _Refused(413, "payload-too-large", f"JSON bodies are limited to {limit} bytes")
        try:
            async with asyncio.timeout(self.limits.json_timeout_s):
                return await _collect(receive, limit)
        except TimeoutError:
            raise _Refused(408, "request-timeout", "The body did not arrive in time.") from None

    def _rate_bounded(self, receive: Receive) -> Receive:
        """`receive`, but the body must keep up an average rate after a grace period."""
        started = time.monotonic()
        received, done = 0, False
        grace, rate = self.limits.upload_grace_s, self.limits.upload_min_bytes_per_s

        async def bounded() -> ReceiveMessage:
            nonlocal received, done
            if done:  # the body is in; waiting for a disconnect is not a slow body
                return await receive()
            left = started + grace + received / rate - time.monotonic()
            try:
                async with asyncio.timeout(max(left, 0.0)):
                    message = await receive()
            except TimeoutError:
                raise RequestTimeout(detail="The request body arrives too slowly.") from None
            chunk = _body_of(message)
            received += len(chunk)
            done = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        return bounded


async def _collect(receive: Receive, limit: int) -> bytes:
    """The whole body, refused (413) as soon as it outgrows `limit`."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = _body_of(message)
        size += len(chunk)
        if size > limit:
            raise _Refused(413, "payload-too-large", f"JSON bodies are limited to {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _body_of(message: ReceiveMessage) -> bytes:
    return cast("bytes", message.get("body", b""))  # only http.request carries one


def _is_json(content_type: bytes) -> bool:
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or media.endswith(b"+json")


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> ReceiveMessage:
        nonlocal sent
        if sent:
            return await receive()  # e.g. http.disconnect, for whoever waits on it
        sent = True
        return HTTPRequestEvent(type="http.request", body=body, more_body=False)

    return replay


async def _send_problem(scope: Scope, send: Send, status: int, code: str, detail: str) -> None:
    body: dict[str, Any] = problem_body(status, code, detail, scope.get("path", ""))
    payload = json.dumps(body).encode()
    headers = [
        (b"content-type", MEDIA_TYPE.encode()),
        (b"content-length", str(len(payload)).encode()),
        (b"x-request-id", body["request_id"].encode()),
    ]
    if status in (408, 413):  # the unread rest of the body is not worth waiting for
        headers.append((b"connection", b"close"))
    await send(HTTPResponseStartEvent(type="http.response.start", status=status, headers=headers))
    await send(HTTPResponseBodyEvent(type="http.response.body", body=payload, more_body=False))
