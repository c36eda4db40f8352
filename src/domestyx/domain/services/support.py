"""Support tools for staff: look an account up, lock, unlock, sign out everywhere, resend.

Every action names a reason and is audited with the staff member; non-staff get 404 so the
tools do not show they exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs

from domestyx.domain.model.accounts import Account, Role
from domestyx.domain.model.audit import AuditEventType, ClientContext
from domestyx.domain.model.delivery import Delivery, DeliveryStatus
from domestyx.domain.model.errors import Conflict, Forbidden, InvalidInput, NotFound, ResendTooSoon
from domestyx.domain.model.jobs import Job
from domestyx.domain.model.otp import Channel, OtpSlot, Purpose
from domestyx.domain.model.sessions import Principal
from domestyx.domain.model.support import AccountDossier, ResendOutcome, check_reason
from domestyx.domain.services.auditor import Auditor
from domestyx.domain.services.codes import CodeService

if TYPE_CHECKING:
    from domestyx.ports.clock import Clock
    from domestyx.ports.contacts import ContactCanonicalizer
    from domestyx.ports.repositories import UnitOfWork, UnitOfWorkFactory
    from domestyx.ports.tasks import TaskQueue

RECENT_DELIVERIES = 20
RECENT_EVENTS = 50


def _require_staff(principal: Principal) -> None:
    if not principal.role.is_staff:
        raise NotFound("no such resource")


def _target(uow: UnitOfWork, principal: Principal, account_id: str) -> Account:
    account = uow.accounts.get(account_id, for_update=True)
    if account is None:
        raise NotFound("no such account")
    if account.id == principal.account_id:
        raise Forbidden("support actions cannot target your own account")
    if account.role.is_staff and principal.role is not Role.ADMIN:
        raise Forbidden("only an admin may act on a staff account")
    return account


def _fresh_code_channel(account: Account) -> tuple[Channel, Purpose]:
    if not account.email_verified:
        return Channel.EMAIL, Purpose.VERIFY_EMAIL
    if not account.phone_verified and account.phone:
        return Channel.SMS, Purpose.VERIFY_PHONE
    raise Conflict("nothing to resend: no message is waiting and both contacts are proven")


@attrs.frozen
class SupportService:
    """Staff-only account tools; each call is one transaction with its audit row."""

    uow: UnitOfWorkFactory
    codes: CodeService
    queue: TaskQueue
    clock: Clock
    auditor: Auditor
    contacts: ContactCanonicalizer

    def find(
        self, principal: Principal, *, email: str | None = None, phone: str | None = None
    ) -> Sequence[Account]:
        """Accounts by email or phone (canonicalised as at sign-up), newest claim first."""
        _require_staff(principal)
        if bool(email) == bool(phone):
            raise InvalidInput("give exactly one of email or phone", field="email")
        with self.uow() as uow:
            if email:
                found = uow.accounts.by_email(self.contacts.email(email))
                return [found] if found else []
            return list(uow.accounts.phone_claims(self.contacts.phone(phone or "")))

    def show(self, principal: Principal, account_id: str, ctx: ClientContext) -> AccountDossier:
        """The account with its live sessions, recent deliveries and audit trail (audited)."""
        _require_staff(principal)
        with self.uow() as uow:
            account = uow.accounts.get(account_id)
            if account is None:
                raise NotFound("no such account")
            dossier = AccountDossier(
                account=account,
                sessions=uow.sessions.live_sessions(account.id, self.clock.now()),
                deliveries=uow.deliveries.for_account(account.id, RECENT_DELIVERIES),
                events=uow.audit.for_account(account.id, RECENT_EVENTS),
            )
            self._audit(uow, AuditEventType.SUPPORT_VIEWED, principal, account, ctx)
            uow.commit()
        return dossier

    def lock(self, principal: Principal, account_id: str, reason: str, ctx: ClientContext) -> int:
        """Suspend the account and revoke its sessions; returns how many were revoked."""
        reason = check_reason(reason)
        _require_staff(principal)
        with self.uow() as uow:
            account = _target(uow, principal, account_id)
            account.suspend(self.clock.now())
            uow.accounts.save(account)
            revoked = self._sign_out(
                uow,
                AuditEventType.ACCOUNT_LOCKED,
                principal,
                account,
                ctx,
                reason=reason,
                why="support_lock",
            )
            uow.commit()
        return revoked

    def unlock(
        self, principal: Principal, account_id: str, reason: str, ctx: ClientContext
    ) -> Account:
        """Reinstate a suspended account (active again if both contacts are proven)."""
        reason = check_reason(reason)
        _require_staff(principal)
        with self.uow() as uow:
            account = _target(uow, principal, account_id)
            account.reinstate(self.clock.now())
            uow.accounts.save(account)
            self._audit(
                uow, AuditEventType.ACCOUNT_UNLOCKED, principal, account, ctx, reason=reason
            )
            uow.commit()
        return account

    def sign_out_everywhere(
        self, principal: Principal, account_id: str, reason: str, ctx: ClientContext
    ) -> int:
        """Revoke every live session of the account; returns how many."""
        reason = check_reason(reason)
        _require_staff(principal)
        with self.uow() as uow:
            account = _target(uow, principal, account_id)
            revoked = self._sign_out(
                uow,
                AuditEventType.SUPPORT_SIGNED_OUT,
                principal,
                account,
                ctx,
                reason=reason,
                why="support",
            )
            uow.commit()
        return revoked

    def resend(
        self, principal: Principal, account_id: str, reason: str, ctx: ClientContext
    ) -> ResendOutcome:
        """Re-queue the newest waiting message, or queue a fresh code for an unproven contact.

        A failed message has forgotten its code, so it is never re-sent as such: a fresh code
        replaces it. The answer names only the channel, never the destination.
        """
        reason = check_reason(reason)
        _require_staff(principal)
        with self.uow() as uow:
            account = _target(uow, principal, account_id)
            if not account.is_live:
                raise Conflict(f"account is {account.status}; unlock it first")
            outcome = self._waiting(uow, account) or self._fresh_code(uow, account)
            self._audit(
                uow,
                AuditEventType.SUPPORT_RESENT,
                principal,
                account,
                ctx,
                reason=reason,
                action=outcome.action,
                channel=outcome.channel,
                delivery=outcome.delivery_id,
            )
            uow.commit()
        self.queue.enqueue(Job.DELIVER_MESSAGE, delivery_id=outcome.delivery_id)
        return outcome

    def _waiting(self, uow: UnitOfWork, account: Account) -> ResendOutcome | None:
        now = self.clock.now()
        waiting: list[Delivery] = [
            d
            for d in uow.deliveries.for_account(account.id, RECENT_DELIVERIES)
            if d.status is DeliveryStatus.QUEUED and d.expires_at > now
        ]
        if not waiting:
            return None
        return ResendOutcome(
            action="requeued", delivery_id=waiting[0].id, channel=waiting[0].channel.value
        )

    def _fresh_code(self, uow: UnitOfWork, account: Account) -> ResendOutcome:
        channel, purpose = _fresh_code_channel(account)
        destination = account.email if channel is Channel.EMAIL else account.phone
        waiting = self.codes.otp.cooldown_remaining(OtpSlot(purpose, destination))
        if waiting:
            raise ResendTooSoon(retry_after=waiting)
        delivery_id = self.codes.queue_code(uow, account, channel, purpose)
        return ResendOutcome(action="fresh_code", delivery_id=delivery_id, channel=channel.value)

    def _sign_out(
        self,
        uow: UnitOfWork,
        event: AuditEventType,
        principal: Principal,
        account: Account,
        ctx: ClientContext,
        *,
        reason: str,
        why: str,
    ) -> int:
        """Revoke every session of the account and audit it with how many went."""
        revoked = uow.sessions.revoke_all(account.id, self.clock.now(), why, keep=None)
        self._audit(
            uow, event, principal, account, ctx, reason=reason, sessions_revoked=str(revoked)
        )
        return revoked

    def _audit(
        self,
        uow: UnitOfWork,
        event: AuditEventType,
        principal: Principal,
        account: Account,
        ctx: ClientContext,
        **details: str,
    ) -> None:
        uow.audit.append(
            self.auditor.event(
                event, account_id=account.id, actor_id=principal.account_id, ip=ctx.ip, **details
            )
        )
