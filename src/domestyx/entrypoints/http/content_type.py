"""JSON routes accept only JSON: a text/plain "simple" request can't slip past CORS preflight."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import HTTPException

# The upload is multipart; webhooks are authenticated by signature, not by a browser's cookies,
# so their declared type is left to the provider. Everything else under /api/ takes JSON.
NON_JSON_BODIES = {("POST", "/api/v1/documents"): "multipart/form-data"}
SIGNED_CALLBACKS = "/api/v1/webhooks/"


class UnsupportedContentType(HTTPException):
    """415: the body's declared type is not the one the route reads."""

    status_code = 415


def require_declared_type(request: Request[Any, Any, Any]) -> None:
    """Refuse a body whose Content-Type is not the route's (before anything is parsed)."""
    if request.method not in ("POST", "PUT", "PATCH", "DELETE") or not _has_body(request):
        return
    path = request.url.path.rstrip("/") or "/"
    if not path.startswith("/api/") or path.startswith(SIGNED_CALLBACKS):
        return
    expected = NON_JSON_BODIES.get((request.method, path), "application/json")
    declared = request.headers.get("content-type", "").split(";")[0].strip().lower()
    json_like = expected == "application/json" and declared.endswith("+json")
    if declared != expected and not json_like:
        raise UnsupportedContentType(detail=f"this route reads {expected} bodies")


def _has_body(request: Request[Any, Any, Any]) -> bool:
    length = request.headers.get("content-length")
    if length is not None:
        return length.strip() not in ("", "0")
    return "transfer-encoding" in request.headers
