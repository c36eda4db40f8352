"""The reusable pieces of the contract: the bearer scheme, the RFC 9457 problem, its headers."""

from __future__ import annotations

from typing import Any

from domestyx.entrypoints.http.problems import MEDIA_TYPE, PROBLEM_BASE, TITLES

_INT = {"type": "integer", "format": "int32", "minimum": 0, "maximum": 2_147_483_647}
_TEXT = {"type": "string", "maxLength": 2000}


def _header(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "schema": schema}


HEADERS = {
    "X-Request-ID": _header(
        "The request's id (echoed from a valid incoming X-Request-ID, otherwise new); "
        "quote it to support.",
        {"type": "string", "maxLength": 64, "pattern": "^[A-Za-z0-9._-]{8,64}$"},
    ),
    "WWW-Authenticate": _header(
        "The bearer challenge (RFC 6750).", {"type": "string", "maxLength": 200}
    ),
    "Retry-After": _header("Seconds to wait before trying again.", _INT),
    "RateLimit-Limit": _header("Requests allowed in the window of the limit that refused.", _INT),
    "RateLimit-Remaining": _header("Requests left in that window (0 when refused).", _INT),
    "RateLimit-Reset": _header("Seconds until that window resets.", _INT),
    "RateLimit-Policy": _header(
        "The limit that refused, e.g. `5;w=3600`.", {"type": "string", "maxLength": 100}
    ),
}
# Every answer carries it (a $ref could not say `required`).
REQUEST_ID = {**HEADERS["X-Request-ID"], "required": True}
FIELD_ERROR = {
    "type": "object",
    "additionalProperties": False,
    "required": ["field", "message"],
    "properties": {
        "field": {"type": "string", "maxLength": 200, "description": "The offending field."},
        "message": {"type": "string", "maxLength": 300},
    },
}
PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details; `type` names the failure, `detail` explains it.",
    "additionalProperties": False,
    "required": ["type", "title", "status", "detail", "instance", "request_id"],
    "properties": {
        "type": {
            "type": "string",
            "format": "uri",
            "maxLength": 200,
            "pattern": f"^{PROBLEM_BASE}",
        },
        "title": {"type": "string", "maxLength": 100},
        "status": {"type": "integer", "format": "int32", "minimum": 400, "maximum": 599},
        "detail": _TEXT,
        "instance": {"type": "string", "maxLength": 2048, "description": "The request path."},
        "request_id": {"type": "string", "maxLength": 64, "description": "As X-Request-ID."},
        "errors": {
            "type": "array",
            "maxItems": 100,
            "items": {"$ref": "#/components/schemas/ProblemFieldError"},
            "description": "Invalid input: which fields, and why.",
        },
        "retry_after": {**_INT, "description": "As Retry-After, on 429 and some 503s."},
        "dependency": {
            "type": "string",
            "maxLength": 50,
            "description": "503: the dependency that is unavailable.",
        },
    },
}
BEARER_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": (
        "An access token from login, refresh or a login code: an EdDSA-signed JWT following "
        "RFC8725 (JWT best current practices: pinned algorithm, `kid`, 15-minute `exp`, "
        "audience `domestyx-api`), "
        "verifiable with /.well-known/jwks.json."
    ),
}
COMPONENTS: dict[str, dict[str, Any]] = {
    "securitySchemes": {"bearer": BEARER_SCHEME},
    "schemas": {"Problem": PROBLEM, "ProblemFieldError": FIELD_ERROR},
    # Only the optional ones are referenced; required ones are inlined (a $ref can't add it).
    "headers": {
        name: HEADERS[name]
        for name in (
            "Retry-After",
            "RateLimit-Limit",
            "RateLimit-Remaining",
            "RateLimit-Reset",
            "RateLimit-Policy",
        )
    },
}
_REF = "#/components/headers/"
# Headers an error answer may carry beyond X-Request-ID; `True` where it always does.
ERROR_HEADERS: dict[int, dict[str, bool]] = {
    401: {"WWW-Authenticate": True},
    429: {
        "Retry-After": True,
        "RateLimit-Limit": False,
        "RateLimit-Remaining": False,
        "RateLimit-Reset": False,
        "RateLimit-Policy": False,
    },
    503: {"Retry-After": False},
}


def problem_response(status: int, example: dict[str, Any] | None) -> dict[str, Any]:
    """One documented error answer: problem+json, its headers, an example."""
    headers: dict[str, Any] = {"X-Request-ID": dict(REQUEST_ID)}
    for name, required in ERROR_HEADERS.get(status, {}).items():
        headers[name] = {"$ref": _REF + name} if not required else _required(name)
    media: dict[str, Any] = {"schema": {"$ref": "#/components/schemas/Problem"}}
    if example is not None:
        media["example"] = example
    return {
        "description": TITLES.get(status, "Error"),
        "headers": headers,
        "content": {MEDIA_TYPE: media},
    }


def _required(name: str) -> dict[str, Any]:
    header = HEADERS[name]
    return {**header, "required": True}
