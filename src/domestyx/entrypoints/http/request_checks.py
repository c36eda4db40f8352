"""Before any handler: declared type, strict JSON types, and a truthful OPTIONS `Allow`."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.constants import RESERVED_KWARGS
from litestar.exceptions import ValidationException
from litestar.routes import HTTPRoute
from litestar.status_codes import HTTP_204_NO_CONTENT

from domestyx.entrypoints.http.content_type import require_declared_type

_AT = re.compile(r" - at `\$\.?([^`]*)`$")


async def check_request(request: Request[Any, Any, Any]) -> Response[None] | None:
    """The app's one before_request hook."""
    if request.method == "OPTIONS":
        return _options(request)
    require_declared_type(request)
    _known_query(request)
    await _strict_json_body(request)
    return None


def _known_query(request: Request[Any, Any, Any]) -> None:
    """API routes refuse query parameters they don't read, as bodies refuse unknown fields."""
    handler = request.scope.get("route_handler")
    if handler is None or not request.url.path.startswith("/api/") or not request.query_params:
        return
    known = set(handler.parsed_fn_signature.parameters) - RESERVED_KWARGS
    known -= set(handler.resolve_dependencies()) | set(request.path_params)
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise ValidationException(
            detail="The request has query parameters this route does not read.",
            extra=[
                {"key": name[:100], "message": "unknown query parameter"} for name in unknown[:10]
            ],
        )


def _options(request: Request[Any, Any, Any]) -> Response[None]:
    """Every method of the path (Litestar's own answer forgets handlers merged onto a path)."""
    template = request.scope.get("path_template", "")
    methods = {"OPTIONS"}
    for route in request.app.routes:
        if isinstance(route, HTTPRoute) and route.path_format == template:
            methods |= set(route.methods)
    return Response(
        None, status_code=HTTP_204_NO_CONTENT, headers={"Allow": ", ".join(sorted(methods))}
    )


async def _strict_json_body(request: Request[Any, Any, Any]) -> None:
    """JSON types as declared: Litestar converts leniently, so `0` would pass as `false`."""
    body_type = _body_type(request)
    if body_type is None or request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return
    raw = await request.body()
    try:
        msgspec.json.decode(raw, type=body_type, strict=True)
    except msgspec.ValidationError as exc:
        message = str(exc)
        match = _AT.search(message)
        field = match.group(1) if match else ""
        raise ValidationException(
            detail="The request body has a field of the wrong type.",
            extra=[{"key": field, "message": _AT.sub("", message)}],
        ) from None
    except msgspec.DecodeError:
        return  # malformed JSON: Litestar's own parsing refuses it the usual way


def _body_type(request: Request[Any, Any, Any]) -> type[msgspec.Struct] | None:
    """The msgspec body type of a JSON handler, if it has one."""
    handler = request.scope.get("route_handler")
    data = handler.parsed_fn_signature.parameters.get("data") if handler else None
    annotation = getattr(data, "annotation", None)
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        return annotation
    return None
