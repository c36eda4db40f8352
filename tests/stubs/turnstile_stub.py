"""Cloudflare Turnstile siteverify stub: single-use tokens, 300 s validity, idempotency keys."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

import attrs

from tests.stubs.base import RecordedRequest, Reply, StubServer, Violation

SECRET = "0x4AAAAAAAstub-secret-key"
DUMMY_TOKEN = "XXXX.DUMMY.TOKEN.XXXX"
TOKEN_TTL_S = 300


@attrs.define
class IssuedToken:
    """A token as the widget would have produced it."""

    action: str
    hostname: str
    issued_at: float


def _failure(*codes: str) -> Reply:
    return Reply.json(200, {"success": False, "error-codes": list(codes)})


class TurnstileStub(StubServer):
    """POST /turnstile/v0/siteverify, form or JSON, with the documented failure codes."""

    def __init__(
        self, secret: str = SECRET, *, clock: Callable[[], float] = time.time, **kw: Any
    ) -> None:
        super().__init__(**kw)
        self.secret = secret
        self.clock = clock
        self.tokens: dict[str, IssuedToken] = {}
        self.redeemed: set[str] = set()
        self._answers: dict[tuple[str, str], Reply] = {}

    @property
    def siteverify_url(self) -> str:
        """Where the adapter should post."""
        return f"{self.url}/turnstile/v0/siteverify"

    def issue(self, action: str, hostname: str = "app.domestyx.test") -> str:
        """A fresh token, as the browser widget would hand to the client."""
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = IssuedToken(action, hostname, self.clock())
        return token

    def check(self, request: RecordedRequest) -> list[Violation]:
        """Only the siteverify route, by POST."""
        if request.path != "/turnstile/v0/siteverify" or request.method != "POST":
            return [Violation(f"{request.method} {request.path}", Reply.json(404, {}))]
        return []

    def handle(self, request: RecordedRequest) -> Reply:
        """Redeem once; a retry with the same idempotency key gets the first answer again."""
        fields = self._fields(request)
        secret, token = fields.get("secret", ""), fields.get("response", "")
        key = fields.get("idempotency_key", "")
        if key and (key, token) in self._answers:
            return self._answers[(key, token)]
        reply = self._verdict(secret, token)
        if key:
            self._answers[(key, token)] = reply
        return reply

    def _verdict(self, secret: str, token: str) -> Reply:
        if not secret:
            return _failure("missing-input-secret")
        if secret != self.secret:
            return _failure("invalid-input-secret")
        if not token:
            return _failure("missing-input-response")
        issued = self.tokens.get(token)
        if issued is None:  # includes the dummy token, which real secrets refuse
            return _failure("invalid-input-response")
        if token in self.redeemed or self.clock() - issued.issued_at > TOKEN_TTL_S:
            return _failure("timeout-or-duplicate")
        self.redeemed.add(token)
        return Reply.json(
            200,
            {
                "success": True,
                "challenge_ts": "2026-01-01T00:00:00.000Z",
                "hostname": issued.hostname,
                "error-codes": [],
                "action": issued.action,
                "cdata": "",
            },
        )

    @staticmethod
    def _fields(request: RecordedRequest) -> dict[str, str]:
        if request.headers.get("content-type", "").startswith("application/json"):
            data = request.json()
            return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}
        return {k: v[0] for k, v in request.form().items()}
