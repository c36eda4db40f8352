"""The error-response contract (RFC 9457 problem+json, no internals), checked alike everywhere."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://docs.domestyx.com/problems/"
# What a Python stack trace or a repr of a frame looks like when it reaches a client.
STACK_TRACE_MARKERS = ("Traceback", 'File "')
# Every status problems.py can produce; anything else means an unmapped path.
PROBLEM_STATUSES = frozenset({400, 401, 403, 404, 405, 408, 409, 413, 415, 422, 429, 500, 503})


def stack_trace_in(body: bytes) -> str | None:
    """The first stack-trace marker found in a body, if any."""
    text = body.decode("utf-8", "replace")
    return next((marker for marker in STACK_TRACE_MARKERS if marker in text), None)


def problem_violations(status: int, headers: Mapping[str, str], body: bytes) -> list[str]:
    """What keeps an error response from being a proper problem; empty when it is one.

    `headers` must have lower-case names.
    """
    media_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != PROBLEM_MEDIA_TYPE:
        return [f"content-type is {media_type!r}, not {PROBLEM_MEDIA_TYPE}"]
    try:
        problem = json.loads(body)
    except ValueError:
        return ["the body is not JSON"]
    if not isinstance(problem, dict):
        return ["the body is not a JSON object"]
    return list(_field_violations(problem, status, headers))


def _field_violations(
    problem: dict[str, Any], status: int, headers: Mapping[str, str]
) -> Iterable[str]:
    for name in ("type", "title", "detail"):
        if not isinstance(problem.get(name), str) or not problem[name]:
            yield f"{name!r} is missing or not a non-empty string"
    if not str(problem.get("type", "")).startswith(PROBLEM_TYPE_BASE):
        yield f"type {problem.get('type')!r} is not under {PROBLEM_TYPE_BASE}"
    if problem.get("status") != status:
        yield f"status member {problem.get('status')!r} differs from the HTTP status {status}"
    if status == 401 and not headers.get("www-authenticate", "").startswith("Bearer"):
        yield "a 401 without a Bearer WWW-Authenticate challenge"
    if status == 429 and not headers.get("retry-after"):
        yield "a 429 without Retry-After"
    request_id = headers.get("x-request-id")
    if not problem.get("request_id") or problem.get("request_id") != request_id:
        yield f"request_id {problem.get('request_id')!r} is not the X-Request-ID {request_id!r}"


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """An httpx response is a problem with this status; returns the parsed body."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    headers = {key.lower(): value for key, value in response.headers.items()}
    violations = problem_violations(status, headers, response.content)
    assert violations == [], violations
    assert stack_trace_in(response.content) is None, response.text[:500]
    body: dict[str, Any] = response.json()
    return body
