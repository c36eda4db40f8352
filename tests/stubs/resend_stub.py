"""Resend stub: POST /emails validated against resend-openapi.yaml, with real idempotency."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
import time
import uuid
from functools import cache
from typing import Any

import attrs
import yaml
from jsonschema import Draft202012Validator

from tests.stubs.base import Fault, RecordedRequest, Reply, StubServer, Violation, contract_file

# Resend's documented tag alphabet (the OAS only says so in prose).
_TAG = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_RATE_HEADERS = {"ratelimit-limit": "2", "ratelimit-remaining": "1", "ratelimit-reset": "1"}
# The name Resend gives each status when a test scripts only the status.
DEFAULT_ERROR_NAMES = {
    400: "validation_error",
    401: "missing_api_key",
    403: "invalid_api_key",
    404: "not_found",
    405: "method_not_allowed",
    409: "invalid_idempotent_request",
    422: "validation_error",
    429: "rate_limit_exceeded",
    500: "application_error",
}


@cache
def _send_email_schema() -> Draft202012Validator:
    spec = yaml.safe_load(contract_file("resend-openapi.yaml").read_text())
    root = {"$ref": "#/components/schemas/SendEmailRequest", "components": spec["components"]}
    return Draft202012Validator(root)


def resend_error(
    status: int,
    name: str | None = None,
    message: str = "stub error",
    *,
    retry_after: int | None = 1,
) -> Reply:
    """Resend's error body: {"statusCode", "name", "message"}; a 429 carries the rate headers."""
    error = name or DEFAULT_ERROR_NAMES.get(status, "application_error")
    headers: dict[str, str] = {}
    if status == 429:
        headers = {**_RATE_HEADERS, "ratelimit-remaining": "0"}
        if retry_after is not None:
            headers["retry-after"] = str(retry_after)
    return Reply.json(status, {"statusCode": status, "name": error, "message": message}, headers)


def fail(status: int, name: str | None = None, *, retry_after: int | None = 1) -> Fault:
    """A scripted Resend error for the next request."""
    return Fault.answer(resend_error(status, name, retry_after=retry_after))


@attrs.frozen
class AcceptedEmail:
    """An email the stub took: Resend's id, the JSON sent, the idempotency key used."""

    id: str
    params: dict[str, Any]
    idempotency_key: str | None


class ResendStub(StubServer):
    """One team with one API key; same key + same body answers the first id."""

    def __init__(self, api_key: str = "re_test_key", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _send_email_schema()  # parse the spec now, not inside the first request's time budget
        self.api_key = api_key
        self.emails: list[AcceptedEmail] = []
        self._by_key: dict[str, tuple[str, str]] = {}
        # (429 name, monotonic reset time, whether to send Retry-After) while a quota is spent.
        self._quota: tuple[str, float, bool] | None = None
        self.quota_refusals = 0

    def exhaust_quota(self, name: str, *, resets_in: float, retry_after: bool = True) -> None:
        """Refuse every send with 429 `name` until `resets_in` seconds from now, as Resend does."""
        with self.lock:
            self._quota = (name, time.monotonic() + resets_in, retry_after)

    def check(self, request: RecordedRequest) -> list[Violation]:
        """Route, Bearer auth, Idempotency-Key length, JSON body per SendEmailRequest."""
        if request.path != "/emails":
            return [Violation(f"unknown path {request.path}", resend_error(404))]
        if request.method != "POST":
            return [Violation(f"{request.method} /emails", resend_error(405))]
        return [*_auth(request, self.api_key), *_idempotency(request), *_body(request)]

    def handle(self, request: RecordedRequest) -> Reply:
        """Accept, or replay the first answer for a repeated idempotency key."""
        refusal = self._quota_refusal()
        if refusal is not None:
            return refusal
        params = request.json()
        key = request.headers.get("idempotency-key")
        fingerprint = json.dumps(params, sort_keys=True)
        if key is not None and key in self._by_key:
            email_id, first = self._by_key[key]
            if first != fingerprint:
                return resend_error(409, "invalid_idempotent_request", "same key, other payload")
            return Reply.json(200, {"id": email_id}, _RATE_HEADERS)
        email_id = str(uuid.uuid4())
        self.emails.append(AcceptedEmail(email_id, params, key))
        if key is not None:
            self._by_key[key] = (email_id, fingerprint)
        return Reply.json(200, {"id": email_id}, _RATE_HEADERS)

    def _quota_refusal(self) -> Reply | None:
        if self._quota is None:
            return None
        name, resets_at, with_retry_after = self._quota
        left = resets_at - time.monotonic()
        if left <= 0:
            self._quota = None
            return None
        self.quota_refusals += 1
        wait = max(1, math.ceil(left)) if with_retry_after else None
        message = "You have reached your daily email sending quota."
        return resend_error(429, name, message, retry_after=wait)


def _auth(request: RecordedRequest, api_key: str) -> list[Violation]:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme != "Bearer" or not token:
        return [Violation("no Bearer API key", resend_error(401, "missing_api_key"))]
    if token != api_key:
        return [
            Violation("wrong API key", resend_error(403, "invalid_api_key", "API key is invalid"))
        ]
    return []


def _idempotency(request: RecordedRequest) -> list[Violation]:
    key = request.headers.get("idempotency-key")
    if key is not None and not 1 <= len(key) <= 256:
        reply = resend_error(400, "invalid_idempotency_key", "key must be 1-256 characters")
        return [Violation(f"Idempotency-Key of {len(key)} chars", reply)]
    return []


def _body(request: RecordedRequest) -> list[Violation]:
    if "application/json" not in request.headers.get("content-type", ""):
        return [Violation("body is not application/json", resend_error(400))]
    try:
        params = request.json()
    except ValueError:
        return [Violation("body is not JSON", resend_error(400))]
    found = [
        Violation(f"SendEmailRequest: {error.message}", resend_error(422, message=error.message))
        for error in _send_email_schema().iter_errors(params)
    ]
    for tag in params.get("tags") or [] if isinstance(params, dict) else []:
        if not all(_TAG.match(str(tag.get(part, ""))) for part in ("name", "value")):
            message = f"tag {tag!r} outside [A-Za-z0-9_-]"
            found.append(Violation(message, resend_error(422, message=message)))
    return found


def svix_headers(
    secret: str, body: bytes, *, msg_id: str | None = None, timestamp: int | None = None
) -> dict[str, str]:
    """Headers Svix would send for this body, signed with a whsec_ secret."""
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    signature = base64.b64encode(digest).decode()
    return {"svix-id": msg_id, "svix-timestamp": stamp, "svix-signature": f"v1,{signature}"}


def new_signing_secret() -> str:
    """A fresh whsec_ secret in Resend's format."""
    return "whsec_" + base64.b64encode(uuid.uuid4().bytes + uuid.uuid4().bytes).decode()
