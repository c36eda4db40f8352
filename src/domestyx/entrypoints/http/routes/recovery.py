"""Password recovery: a reset code to a proven contact, then a new password."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from domestyx.domain.model import errors as e
from domestyx.domain.model.otp import Channel
from domestyx.entrypoints.http.deps import client_context, services_of
from domestyx.entrypoints.http.schemas import AcceptedOut, PasswordForgotIn, PasswordResetIn

Req = Request[Any, Any, Any]
RESET_SENT = AcceptedOut(
    status="accepted",
    detail="If this contact belongs to an account and is proven, a reset code is on its way.",
)


class PasswordController(Controller):
    """/api/v1/auth/password: captcha on forgot (it sends), none on reset (code entry)."""

    path = "/api/v1/auth/password"
    tags = ["auth"]

    @post(
        "/forgot",
        status_code=HTTP_202_ACCEPTED,
        sync_to_thread=True,
        errors=[e.CaptchaFailed, e.RateLimited, e.InvalidInput, e.SmsBudgetExhausted],
    )
    def forgot(self, request: Req, data: JSONBody[PasswordForgotIn]) -> AcceptedOut:
        """Ask for a reset code (enumeration-safe: the same answer for any destination)."""
        services, ctx = services_of(request), client_context(request)
        services.recovery.forgot(
            Channel(data.channel), data.destination, ctx, token=data.turnstile_token
        )
        return RESET_SENT

    @post(
        "/reset",
        status_code=HTTP_204_NO_CONTENT,
        sync_to_thread=True,
        errors=[e.InvalidCode, e.CodeExpired, e.CodeAttemptsExhausted, e.WeakPassword],
    )
    def reset(self, request: Req, data: JSONBody[PasswordResetIn]) -> None:
        """Set a new password with the code; every session and refresh token is revoked."""
        services, ctx = services_of(request), client_context(request)
        services.recovery.reset(
            Channel(data.channel), data.destination, data.code, data.new_password, ctx
        )
