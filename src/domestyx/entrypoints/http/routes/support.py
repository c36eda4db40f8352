"""/api/v1/admin/accounts: support tools; same staff dependency as the review routes."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK

from domestyx.domain.model import errors as e
from domestyx.entrypoints.http.deps import Caller, client_context, mfa_principal, services_of
from domestyx.entrypoints.http.support_schemas import (
    AccountSummaryOut,
    ActionOut,
    DossierOut,
    ReasonIn,
    dossier_out,
    summary_out,
)

Req = Request[Any, Any, Any]
ACCOUNT = "/accounts/{account_id:str}"
ACTION_ERRORS = [e.NotFound, e.Forbidden, e.Conflict, e.InvalidInput]


class SupportController(Controller):
    """Look accounts up; lock, unlock, sign out everywhere, resend: each audited with a reason."""

    path = "/api/v1/admin"
    tags = ["admin"]
    # The same staff dependency as the review routes: no second factor, 403 mfa-required.
    dependencies = {"caller": Provide(mfa_principal, sync_to_thread=True)}

    @get("/accounts", sync_to_thread=True, errors=[e.NotFound, e.InvalidInput])
    def lookup(
        self,
        request: Req,
        caller: Caller,
        email: FromQuery[str | None] = None,
        phone: FromQuery[str | None] = None,
    ) -> list[AccountSummaryOut]:
        """Accounts by email or phone (exactly one), contacts masked."""
        found = services_of(request).support.find(caller, email=email, phone=phone)
        return [summary_out(a) for a in found]

    @get(ACCOUNT, sync_to_thread=True, errors=[e.NotFound])
    def show(self, request: Req, caller: Caller, account_id: FromPath[str]) -> DossierOut:
        """Status, verification, sessions, recent deliveries and audit events (audited)."""
        support = services_of(request).support
        return dossier_out(support.show(caller, account_id, client_context(request)))

    @post(f"{ACCOUNT}/lock", status_code=HTTP_200_OK, sync_to_thread=True, errors=ACTION_ERRORS)
    def lock(
        self, request: Req, caller: Caller, account_id: FromPath[str], data: JSONBody[ReasonIn]
    ) -> ActionOut:
        """Suspend the account and revoke its sessions."""
        support = services_of(request).support
        revoked = support.lock(caller, account_id, data.reason, client_context(request))
        return ActionOut(account_id=account_id, status="suspended", sessions_revoked=revoked)

    @post(f"{ACCOUNT}/unlock", status_code=HTTP_200_OK, sync_to_thread=True, errors=ACTION_ERRORS)
    def unlock(
        self, request: Req, caller: Caller, account_id: FromPath[str], data: JSONBody[ReasonIn]
    ) -> ActionOut:
        """Reinstate a suspended account."""
        support = services_of(request).support
        account = support.unlock(caller, account_id, data.reason, client_context(request))
        return ActionOut(account_id=account.id, status=account.status.value)

    @post(
        f"{ACCOUNT}/sign-out-everywhere",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        errors=ACTION_ERRORS,
    )
    def sign_out(
        self, request: Req, caller: Caller, account_id: FromPath[str], data: JSONBody[ReasonIn]
    ) -> ActionOut:
        """Revoke every live session of the account."""
        support = services_of(request).support
        revoked = support.sign_out_everywhere(
            caller, account_id, data.reason, client_context(request)
        )
        return ActionOut(account_id=account_id, status="signed_out", sessions_revoked=revoked)

    @post(
        f"{ACCOUNT}/resend",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        errors=[*ACTION_ERRORS, e.ResendTooSoon],
    )
    def resend(
        self, request: Req, caller: Caller, account_id: FromPath[str], data: JSONBody[ReasonIn]
    ) -> ActionOut:
        """Re-queue the waiting message or queue a fresh verification code."""
        support = services_of(request).support
        done = support.resend(caller, account_id, data.reason, client_context(request))
        return ActionOut(
            account_id=account_id,
            status="queued",
            action=done.action,
            channel=done.channel,
            delivery_id=done.delivery_id,
        )
