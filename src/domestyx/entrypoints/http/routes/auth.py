"""Registration, codes, sign-in, refresh and sign-out."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from domestyx.domain.model import errors as e
from domestyx.domain.model.accounts import Role
from domestyx.domain.model.errors import InvalidInput
from domestyx.domain.model.otp import Channel, Purpose
from domestyx.domain.model.sessions import TokenPair
from domestyx.entrypoints.http.deps import client_context, optional_principal, services_of
from domestyx.entrypoints.http.schemas import (
    AcceptedOut,
    LoginIn,
    LogoutIn,
    OtpSendIn,
    OtpVerifyIn,
    RefreshIn,
    RegisterIn,
    TokenOut,
    VerifyOut,
)

Req = Request[Any, Any, Any]
REGISTERED = AcceptedOut(
    status="accepted",
    detail="If these details can be used, a code is on its way to the email address.",
)
CODE_SENT = AcceptedOut(
    status="accepted", detail="If the destination can receive it, a code is on its way."
)


def token_out(pair: TokenPair) -> TokenOut:
    """The wire shape of a token pair."""
    # Always an RFC 6750 bearer token; the wire type says so as a constant.
    return TokenOut(pair.access_token, pair.refresh_token, "bearer", pair.expires_in)


class AuthController(Controller):
    """/api/v1/auth: handlers parse and call; the guard applies the declared rules (GUARDS)."""

    path = "/api/v1/auth"
    tags = ["auth"]

    @post(
        "/register",
        status_code=HTTP_202_ACCEPTED,
        sync_to_thread=True,
        errors=[
            e.RateLimited,
            e.CaptchaFailed,
            e.WeakPassword,
            e.DestinationNotAllowed,
        ],
    )
    def register(self, request: Req, data: JSONBody[RegisterIn]) -> AcceptedOut:
        """Create an account (enumeration-safe: the answer never says whether it existed)."""
        services, ctx = services_of(request), client_context(request)
        services.accounts.register(
            data.email, data.phone, data.password, Role(data.role), ctx, token=data.turnstile_token
        )
        return REGISTERED

    @post(
        "/otp/send",
        status_code=HTTP_202_ACCEPTED,
        sync_to_thread=True,
        errors=[e.CaptchaFailed, e.RateLimited, e.InvalidInput, e.SmsBudgetExhausted],
        optional_bearer=True,
    )
    def send_code(self, request: Req, data: JSONBody[OtpSendIn]) -> AcceptedOut:
        """Send a one-time code (enumeration-safe)."""
        services, ctx = services_of(request), client_context(request)
        caller = optional_principal(request)  # binds a phone proof to a signed-in account
        services.codes.send(
            Channel(data.channel),
            data.destination,
            Purpose(data.purpose),
            ctx,
            caller=caller.account_id if caller else None,
            token=data.turnstile_token,
        )
        return CODE_SENT

    @post(
        "/otp/verify",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        errors=[e.InvalidCode, e.CodeExpired, e.CodeAttemptsExhausted, e.InvalidInput],
        optional_bearer=True,
    )
    def verify_code(self, request: Req, data: JSONBody[OtpVerifyIn]) -> VerifyOut:
        """Prove a contact (or sign in with the login purpose)."""
        services, ctx = services_of(request), client_context(request)
        caller = optional_principal(request)
        result = services.codes.verify(
            Channel(data.channel),
            data.destination,
            Purpose(data.purpose),
            data.code,
            ctx,
            caller=caller.account_id if caller else None,
        )
        account, tokens = result.account, result.tokens
        out = VerifyOut(
            verified=True,
            purpose=result.purpose,
            email_verified=account.email_verified,
            phone_verified=account.phone_verified,
            status=account.status,
        )
        if tokens is not None:
            out.access_token, out.refresh_token = tokens.access_token, tokens.refresh_token
            out.token_type, out.expires_in = "bearer", tokens.expires_in
        return out

    @post(
        "/login",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        errors=[
            e.InvalidInput,
            e.CaptchaFailed,
            e.InvalidCredentials,
            e.AccountLocked,
            e.InvalidCode,
            e.CodeAttemptsExhausted,
        ],
    )
    def login(self, request: Req, data: JSONBody[LoginIn]) -> TokenOut:
        """Password sign-in by email or phone."""
        if (data.email is None) == (data.phone is None):
            raise InvalidInput("give exactly one of email or phone", field="email")
        services, ctx = services_of(request), client_context(request)
        identifier = data.phone if data.phone is not None else data.email
        pair = services.accounts.login(
            identifier or "",
            data.password,
            by_phone=data.phone is not None,
            ctx=ctx,
            token=data.turnstile_token,
            totp_code=data.totp_code,
        )
        return token_out(pair)

    @post(
        "/refresh",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        errors=[e.RateLimited, e.InvalidToken],
    )
    def refresh(self, request: Req, data: JSONBody[RefreshIn]) -> TokenOut:
        """Rotate the refresh token; reusing an old one revokes the session."""
        services, ctx = services_of(request), client_context(request)
        return token_out(services.sessions.refresh(data.refresh_token, ctx))

    @post(
        "/logout",
        status_code=HTTP_204_NO_CONTENT,
        sync_to_thread=True,
        errors=[e.InvalidToken],
    )
    def logout(self, request: Req, data: JSONBody[LogoutIn]) -> None:
        """Revoke this session, or all of the account's sessions."""
        services, ctx = services_of(request), client_context(request)
        services.sessions.logout(data.refresh_token, everywhere=data.all, ctx=ctx)
