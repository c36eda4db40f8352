"""RFC 9457 problem details: the one table mapping failures to HTTP statuses."""

from __future__ import annotations

import logging
import traceback
import uuid
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap

from domestyx.domain.model import errors as e
from domestyx.entrypoints.http.context import current_request_id

log = logging.getLogger("domestyx.http")
PROBLEM_BASE = "https://docs.domestyx.com/problems/"
MEDIA_TYPE = "application/problem+json"

# Most specific class first; the first match wins.
STATUS_BY_ERROR: tuple[tuple[type[e.DomainError], int], ...] = (
    (e.AccountLocked, 429),
    (e.RateLimited, 429),
    (e.CodeAttemptsExhausted, 429),
    (e.ResendTooSoon, 429),
    (e.SmsBudgetExhausted, 503),
    (e.DependencyUnavailable, 503),
    (e.WeakPassword, 422),
    (e.InvalidInput, 422),
    (e.DestinationNotAllowed, 422),
    (e.UnprocessableDocument, 422),
    (e.UnsupportedMediaType, 415),
    (e.PayloadTooLarge, 413),
    (e.InvalidCredentials, 401),
    (e.InvalidCode, 400),
    (e.CaptchaFailed, 400),
    (e.InvalidSignature, 401),
    (e.Unauthenticated, 401),
    (e.MfaRequired, 403),
    (e.NotVerified, 403),
    (e.Forbidden, 403),
    (e.NotFound, 404),
    (e.Conflict, 409),
)
# Framework errors by status (any other status is `http-error`).
HTTP_CODES = {
    404: "not-found",
    405: "method-not-allowed",
    408: "request-timeout",
    413: "payload-too-large",
    401: "unauthenticated",
    415: "unsupported-content-type",
    400: "invalid-request",
}
TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    409: "Conflict",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def status_of(exc: e.DomainError) -> int:
    """The HTTP status of a domain failure."""
    return status_of_class(type(exc))


def status_of_class(error: type[e.DomainError]) -> int:
    """The HTTP status of a kind of domain failure (the OpenAPI contract lists these)."""
    for cls, status in STATUS_BY_ERROR:
        if issubclass(error, cls):
            return status
    return 400


def problem(
    request: Request[Any, Any, Any],
    status: int,
    code: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response[dict[str, Any]]:
    """A problem+json response with the request id (made here if no middleware ran, e.g. 404)."""
    body = problem_body(status, code, detail, request.url.path, **extra)
    headers = {"X-Request-ID": body["request_id"], **(headers or {})}
    return Response(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def problem_body(
    status: int, code: str, detail: str, instance: str, **extra: Any
) -> dict[str, Any]:
    """The RFC 9457 members every problem carries, for Litestar and for raw ASGI answers."""
    return {
        "type": PROBLEM_BASE + code,
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": instance,
        "request_id": current_request_id() or uuid.uuid4().hex,
        **extra,
    }


def domain_error(request: Request[Any, Any, Any], exc: e.DomainError) -> Response[dict[str, Any]]:
    """Map a domain failure; 429/503 carry Retry-After and, for limits, RateLimit headers."""
    status = status_of(exc)
    headers: dict[str, str] = {}
    extra: dict[str, Any] = {}
    if exc.retry_after:
        headers["Retry-After"] = str(exc.retry_after)
        extra["retry_after"] = exc.retry_after
    if isinstance(exc, e.RateLimited):
        headers.update(
            {
                "RateLimit-Limit": str(exc.limit),
                "RateLimit-Remaining": str(exc.remaining),
                "RateLimit-Reset": str(exc.reset_after),
                "RateLimit-Policy": exc.policy or "limit",
            }
        )
    if isinstance(exc, e.InvalidInput) and exc.field:
        extra["errors"] = [{"field": exc.field, "message": exc.detail}]
    if status == 401:  # RFC 9110 15.5.2: every 401 carries a challenge, bad passwords too
        headers["WWW-Authenticate"] = 'Bearer realm="domestyx"'
    if isinstance(exc, e.UnprocessableDocument):
        extra["reason"] = exc.reason
    if isinstance(exc, e.DependencyUnavailable) and exc.dependency:
        extra["dependency"] = exc.dependency
    if status >= 500:
        _report(request, exc)  # an outage on-call must see; 4xx are by design, never reported
    return problem(request, status, exc.code, exc.detail, headers=headers, **extra)


def validation_error(
    request: Request[Any, Any, Any], exc: ValidationException
) -> Response[dict[str, Any]]:
    """Malformed JSON, unknown fields and wrong types: 400 with the offending fields."""
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            errors.append(
                {"field": str(item.get("key", "")), "message": str(item.get("message", ""))[:200]}
            )
    return problem(request, 400, "invalid-request", _clean(exc.detail), errors=errors)


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    """Framework errors (404 route, 405, 413...) in the same shape."""
    status = exc.status_code
    code = HTTP_CODES.get(status, "http-error")
    headers = dict(exc.headers or {})
    if isinstance(exc, NotAuthorizedException):
        headers["WWW-Authenticate"] = 'Bearer realm="domestyx"'
    if status == 408:  # the rest of a slow body is not worth waiting for: drop the connection
        headers["Connection"] = "close"
    if status >= 500:
        log.error("framework error", exc_info=exc)
        _report(request, exc)
        return problem(request, status, "internal-error", "Something went wrong on our side.")
    return problem(request, status, code, _clean(exc.detail), headers=headers)


def unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """Anything else: a 500 with no internals; the traceback goes to the log and Sentry."""
    log.error("unhandled error", exc_info=exc)
    _report(request, exc)
    return problem(
        request,
        HTTP_500_INTERNAL_SERVER_ERROR,
        "internal-error",
        "Something went wrong on our side; it has been reported.",
    )


def undecodable_body(
    request: Request[Any, Any, Any], exc: UnicodeDecodeError
) -> Response[dict[str, Any]]:
    """Litestar decodes JSON bodies as UTF-8 and lets the error escape: that is the client's 400."""
    frames = traceback.extract_tb(exc.__traceback__)
    if any("litestar/serialization" in frame.filename for frame in frames):
        return problem(request, 400, "invalid-request", "The request body is not valid UTF-8 JSON.")
    return unexpected_error(request, exc)


def _report(request: Request[Any, Any, Any], exc: BaseException) -> None:
    """5xx go to the ErrorReporter, tagged with the request; the app is their only reporter."""
    reporter = getattr(request.app.state, "unhandled_reporter", None)
    if reporter is not None:
        reporter.capture_exception(
            exc,
            request_id=current_request_id() or "",
            route=request.url.path,
            method=request.method,
        )


def _clean(detail: str) -> str:
    return (detail or "").splitlines()[0][:300] if detail else "The request is not valid."


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    e.DomainError: domain_error,
    ValidationException: validation_error,
    HTTPException: http_error,
    UnicodeDecodeError: undecodable_body,
    Exception: unexpected_error,
}
