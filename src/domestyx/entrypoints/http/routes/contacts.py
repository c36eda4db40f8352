"""Changing the caller's email or phone: a code to the new contact, then the change."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.di import Provide
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED

from domestyx.domain.model import errors as e
from domestyx.domain.model.otp import Channel
from domestyx.entrypoints.http.deps import Caller, client_context, principal, services_of
from domestyx.entrypoints.http.routes.me import me_out
from domestyx.entrypoints.http.schemas import (
    AcceptedOut,
    CodeIn,
    EmailChangeIn,
    MeOut,
    PhoneChangeIn,
)

Req = Request[Any, Any, Any]
CHANGE_SENT = AcceptedOut(
    status="accepted",
    detail="If the new contact can be used, a code is on its way to it; nothing changes yet.",
)


class ContactController(Controller):
    """/api/v1/me/email and /api/v1/me/phone: bearer token and the current password."""

    path = "/api/v1/me"
    tags = ["me"]
    dependencies = {"caller": Provide(principal, sync_to_thread=True)}

    @post(
        "/email",
        status_code=HTTP_202_ACCEPTED,
        sync_to_thread=True,
        errors=[e.ResendTooSoon, e.RateLimited, e.InvalidInput, e.InvalidCredentials],
    )
    def change_email(
        self, request: Req, caller: Caller, data: JSONBody[EmailChangeIn]
    ) -> AcceptedOut:
        """Start an email change (enumeration-safe)."""
        services, ctx = services_of(request), client_context(request)
        services.contact_change.request(caller, Channel.EMAIL, data.new_email, data.password, ctx)
        return CHANGE_SENT

    @post(
        "/phone",
        status_code=HTTP_202_ACCEPTED,
        sync_to_thread=True,
        errors=[e.ResendTooSoon, e.RateLimited, e.InvalidInput, e.InvalidCredentials],
    )
    def change_phone(
        self, request: Req, caller: Caller, data: JSONBody[PhoneChangeIn]
    ) -> AcceptedOut:
        """Start a phone change (enumeration-safe)."""
        services, ctx = services_of(request), client_context(request)
        services.contact_change.request(caller, Channel.SMS, data.new_phone, data.password, ctx)
        return CHANGE_SENT

    @post(
        "/email/verify",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        errors=[
            e.InvalidCode,
            e.CodeExpired,
            e.CodeAttemptsExhausted,
            e.Conflict,
            e.InvalidCredentials,
        ],
    )
    def verify_email(self, request: Req, caller: Caller, data: JSONBody[CodeIn]) -> MeOut:
        """Prove the new email; it replaces the old one, other sessions are signed out."""
        services, ctx = services_of(request), client_context(request)
        return me_out(services.contact_change.verify(caller, Channel.EMAIL, data.code, ctx))

    @post(
        "/phone/verify",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        errors=[
            e.InvalidCode,
            e.CodeExpired,
            e.CodeAttemptsExhausted,
            e.Conflict,
            e.InvalidCredentials,
        ],
    )
    def verify_phone(self, request: Req, caller: Caller, data: JSONBody[CodeIn]) -> MeOut:
        """Prove the new phone; it replaces the old one, other sessions are signed out."""
        services, ctx = services_of(request), client_context(request)
        return me_out(services.contact_change.verify(caller, Channel.SMS, data.code, ctx))
