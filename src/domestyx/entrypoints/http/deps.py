"""Request-scoped dependencies: the caller's context and the authenticated principal."""

from __future__ import annotations

from typing import Any, TypeAlias

from litestar import Request
from litestar.di import NamedDependency

from domestyx.domain.model.audit import ClientContext
from domestyx.domain.model.errors import MfaRequired, Unauthenticated
from domestyx.domain.model.mfa import AAL_MFA
from domestyx.domain.model.sessions import Principal
from domestyx.entrypoints.services import Services


def services_of(request: Request[Any, Any, Any]) -> Services:
    """The application's services, fixed at startup."""
    services: Services = request.app.state.services
    return services


def client_context(request: Request[Any, Any, Any]) -> ClientContext:
    """IP (from trusted proxies only) and user agent."""
    ip = request.scope.get("state", {}).get("client_ip") or (
        request.client.host if request.client else ""
    )
    return ClientContext(ip=ip, user_agent=request.headers.get("user-agent", "")[:255])


def bearer_token(request: Request[Any, Any, Any]) -> str:
    """The Authorization header's bearer token; none, or another scheme, is 401."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated
    return token.strip()


def note_caller(request: Request[Any, Any, Any], caller: Principal) -> None:
    """Name the account in the request's log line and error reports."""
    request.scope.setdefault("state", {})["account_id"] = caller.account_id


def principal(request: Request[Any, Any, Any]) -> Principal:
    """The bearer token's live session; anything else is 401."""
    result = services_of(request).sessions.authenticate(bearer_token(request))
    note_caller(request, result)
    return result


def optional_principal(request: Request[Any, Any, Any]) -> Principal | None:
    """The caller when a bearer token is sent (it must then be valid), else None."""
    if not request.headers.get("authorization"):
        return None
    return principal(request)


def mfa_principal(request: Request[Any, Any, Any]) -> Principal:
    """The staff routes' caller: staff sessions must have passed a second factor, else 403.

    Other callers pass through unchanged: the services answer them as before (403 on review
    actions, 404 on document ids), so nothing about an id depends on who lacks TOTP.
    """
    result = principal(request)
    if result.role.is_staff and result.aal < AAL_MFA:
        raise MfaRequired
    return result


# The authenticated caller, injected by name from the controller's `caller` dependency.
Caller: TypeAlias = NamedDependency[Principal]
