"""The caller's own account and sessions."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, get, post
from litestar.di import Provide
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from domestyx.adapters.sql.unit_of_work import release_held
from domestyx.domain.model import errors as e
from domestyx.domain.model.accounts import Account
from domestyx.entrypoints.http.deps import (
    Caller,
    bearer_token,
    client_context,
    note_caller,
    principal,
    services_of,
)
from domestyx.entrypoints.http.schemas import (
    AcceptedOut,
    MeOut,
    PasswordChangeIn,
    SessionOut,
    TotpConfirmIn,
    TotpEnrolmentOut,
)

Req = Request[Any, Any, Any]


def me_out(account: Account) -> MeOut:
    """The wire shape of the caller's account."""
    return MeOut(
        id=account.id,
        email=account.email,
        phone=account.phone,
        role=account.role,
        status=account.status,
        email_verified=account.email_verified,
        phone_verified=account.phone_verified,
        identity_status=account.identity_status,
        identity_verified=account.identity_verified,
        created_at=account.created_at,
    )


class MeController(Controller):
    """/api/v1/me: everything here needs a bearer token."""

    path = "/api/v1/me"
    tags = ["me"]
    dependencies = {"caller": Provide(principal, sync_to_thread=True)}

    @get("/", sync_to_thread=True)
    def me(self, request: Req) -> MeOut:
        """The account, its verification flags and identity status."""
        # No `caller`: the session check, the account and its TOTP state are one statement in
        # this one thread offload. The same token check as `principal`, so still bearer-secured.
        try:
            found = services_of(request).sessions.whoami(bearer_token(request))
        finally:
            release_held()  # here, not in another offload after the response (OneConnection)
        note_caller(request, found.principal)
        out = me_out(found.account)
        out.totp_enabled = found.totp_enabled
        return out

    @get("/sessions", sync_to_thread=True)
    def sessions(self, request: Req, caller: Caller) -> list[SessionOut]:
        """Live sessions, the current one flagged."""
        views = services_of(request).sessions.list_sessions(caller)
        return [
            SessionOut(
                id=v.id,
                created_at=v.created_at,
                last_used_at=v.last_used_at,
                expires_at=v.expires_at,
                user_agent=v.user_agent,
                ip=v.ip,
                current=v.current,
            )
            for v in views
        ]

    @delete(
        "/sessions/{session_id:str}",
        status_code=HTTP_204_NO_CONTENT,
        sync_to_thread=True,
        errors=[e.NotFound],
    )
    def revoke(self, request: Req, caller: Caller, session_id: FromPath[str]) -> None:
        """Revoke one of the caller's sessions."""
        services_of(request).sessions.revoke_session(caller, session_id, client_context(request))

    @post(
        "/password",
        status_code=HTTP_204_NO_CONTENT,
        sync_to_thread=True,
        errors=[e.WeakPassword, e.RateLimited],
    )
    def change_password(
        self, request: Req, caller: Caller, data: JSONBody[PasswordChangeIn]
    ) -> None:
        """Change the password; every other session is signed out."""
        services_of(request).accounts.change_password(
            caller, data.current_password, data.new_password, client_context(request)
        )

    @post("/mfa/totp", status_code=HTTP_200_OK, sync_to_thread=True, errors=[e.Conflict])
    def enrol_totp(self, request: Req, caller: Caller) -> TotpEnrolmentOut:
        """Start TOTP enrolment: the secret, its otpauth URI and 10 recovery codes, shown once."""
        enrolment = services_of(request).mfa.enrol(caller, client_context(request))
        return TotpEnrolmentOut(
            secret=enrolment.secret,
            otpauth_uri=enrolment.otpauth_uri,
            recovery_codes=list(enrolment.recovery_codes),
        )

    @post(
        "/mfa/totp/confirm",
        status_code=HTTP_204_NO_CONTENT,
        sync_to_thread=True,
        errors=[e.Conflict, e.InvalidCode, e.CodeAttemptsExhausted],
    )
    def confirm_totp(self, request: Req, caller: Caller, data: JSONBody[TotpConfirmIn]) -> None:
        """A current code activates TOTP; sign in again with a code for staff rights."""
        services_of(request).mfa.confirm(caller, data.code, client_context(request))

    @delete("/", status_code=HTTP_202_ACCEPTED, sync_to_thread=True, errors=[e.Conflict])
    def delete_account(self, request: Req, caller: Caller) -> AcceptedOut:
        """Close the account; its documents are erased by the worker."""
        services_of(request).accounts.delete_account(caller, client_context(request))
        return AcceptedOut(
            status="accepted", detail="The account is closed; its documents will be erased."
        )
