"""Changing the email or phone: a code to the new contact, applied only once it is proven."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from domestyx.domain.model.abuse import Operation, Scope
from domestyx.domain.model.accounts import Account
from domestyx.domain.model.audit import AuditEventType, ClientContext
from domestyx.domain.model.contact_changes import (
    ContactChange,
    change_purpose,
    contact_of,
    noun,
    proven_on,
)
from domestyx.domain.model.delivery import Template
from domestyx.domain.model.errors import Conflict, InvalidCredentials, InvalidInput, ResendTooSoon
from domestyx.domain.model.jobs import Job
from domestyx.domain.model.otp import Channel, OtpSlot
from domestyx.domain.model.sessions import Principal
from domestyx.domain.services.auditor import Auditor
from domestyx.domain.services.codes import CodeService, find_by_contact
from domestyx.domain.services.contact_rules import (
    FIELD,
    canonical_contact,
    release_email,
)
from domestyx.domain.services.proofs import CodeRedeemer, queue_notice

if TYPE_CHECKING:
    from domestyx.ports.clock import Clock
    from domestyx.ports.randomness import IdGenerator
    from domestyx.ports.repositories import UnitOfWork, UnitOfWorkFactory
    from domestyx.ports.security import PasswordHasher
    from domestyx.ports.tasks import TaskQueue

_NOTICE = {Channel.EMAIL: Template.EMAIL_CHANGED, Channel.SMS: Template.PHONE_CHANGED}


@attrs.frozen
class ContactChangeService:
    """POST /me/email, /me/phone and their /verify."""

    uow: UnitOfWorkFactory
    codes: CodeService
    redeemer: CodeRedeemer
    passwords: PasswordHasher
    queue: TaskQueue
    ids: IdGenerator
    clock: Clock
    auditor: Auditor

    def request(
        self,
        principal: Principal,
        channel: Channel,
        new_value: str,
        password: str,
        ctx: ClientContext,
    ) -> None:
        """Send a code to the new contact; a contact another account proved gets none, silently."""
        new_value = canonical_contact(self.codes.contacts, self.codes.guard, channel, new_value)
        guard = self.codes.guard
        guard.limit({Operation.CONTACT_CHANGE: {Scope.ACCOUNT: principal.account_id}}, ctx)
        self._check_password(principal, password, channel, ctx)
        slot = OtpSlot(change_purpose(channel), new_value)
        waiting = self.codes.otp.cooldown_remaining(slot)
        if waiting:
            raise ResendTooSoon(retry_after=waiting)
        demands = self.codes.send_demands(channel, new_value)  # the caps of any code sent there
        guard.limit(demands, ctx)
        sends = self._sends(principal, channel, new_value)
        if sends:  # only a code that really leaves spends the SMS caps (outside a transaction)
            guard.spend(demands, ctx)
        with self.uow() as uow:
            account = self._own(uow, principal)
            if contact_of(account, channel) == new_value:
                raise InvalidInput(f"that is already your {noun(channel)}", field=FIELD[channel])
            delivery_id = self._issue(
                uow, account, channel, new_value, slot=slot, ctx=ctx, sends=sends
            )
            uow.commit()
        if delivery_id is not None:
            self.queue.enqueue(Job.DELIVER_MESSAGE, delivery_id=delivery_id)

    def verify(
        self, principal: Principal, channel: Channel, code: str, ctx: ClientContext
    ) -> Account:
        """Apply the pending change once its code is redeemed; other sessions are signed out."""
        self.codes.guard.limit({Operation.OTP_VERIFY: {}}, ctx)
        with self.uow() as uow:
            account = self._own(uow, principal)
            change = uow.contact_changes.get(account.id, channel, for_update=True)
            live = change is not None and change.is_live(self.clock.now())
            slot = OtpSlot(change.purpose, change.new_value) if change and live else None
            self.redeemer.redeem(uow, slot, account, code, ctx)
            assert change is not None  # noqa: S101 - redeem refuses when nothing is pending
            old = account.email
            self._take_over(uow, account, change, ctx)
            delivery_id = self._apply(uow, account, change, principal, ctx, notify=old)
            uow.commit()
        self.queue.enqueue(Job.DELIVER_MESSAGE, delivery_id=delivery_id)
        return account

    def _issue(
        self,
        uow: UnitOfWork,
        account: Account,
        channel: Channel,
        new_value: str,
        *,
        slot: OtpSlot,
        ctx: ClientContext,
        sends: bool,
    ) -> str | None:
        now = self.clock.now()
        expires = now + self.codes.otp.policy.valid_for
        # Recorded even when nothing is sent: a newer request always voids the older code.
        uow.contact_changes.put(ContactChange(account.id, channel, new_value, now, expires))
        delivery_id: str | None = None
        if not sends:
            self.codes.otp.issue(slot, None)  # the same cooldown as a real send; no code leaves
            outcome = "suppressed"
        else:
            delivery_id = self.codes.queue_code(
                uow, account, channel, slot.purpose, destination=new_value
            )
            outcome = "sent"
        uow.audit.append(
            self.auditor.event(
                AuditEventType.CONTACT_CHANGE_REQUESTED,
                outcome=outcome,
                account_id=account.id,
                ip=ctx.ip,
                subject_id=delivery_id,
                channel=channel.value,
            )
        )
        return delivery_id

    def _take_over(
        self, uow: UnitOfWork, account: Account, change: ContactChange, ctx: ClientContext
    ) -> None:
        """Proven elsewhere meanwhile: refuse. Merely claimed elsewhere: release it from there."""
        holder = find_by_contact(uow, change.channel, change.new_value, for_update=True)
        if holder is None or holder.id == account.id:
            return
        if proven_on(holder, change.channel):
            uow.contact_changes.discard(account.id, change.channel)
            self._refused(uow, account, change.channel, "taken", ctx)
            uow.commit()
            raise Conflict(f"that {noun(change.channel)} can no longer be used")
        release_email(uow, holder)  # by_phone finds owners only: a held phone is proven

    def _apply(
        self,
        uow: UnitOfWork,
        account: Account,
        change: ContactChange,
        principal: Principal,
        ctx: ClientContext,
        *,
        notify: str,
    ) -> str:
        now = self.clock.now()
        if change.channel is Channel.EMAIL:
            account.replace_email(change.new_value, now)
        else:
            account.replace_phone(change.new_value, now)
            self.codes.release_claims(uow, account, ctx)  # proven here: no one else claims it
        uow.accounts.save(account)
        uow.contact_changes.discard(account.id, change.channel)
        uow.sessions.revoke_all(account.id, now, "contact_changed", keep=principal.session_id)
        uow.audit.append(
            self.auditor.event(
                AuditEventType.CONTACT_CHANGED,
                account_id=account.id,
                ip=ctx.ip,
                channel=change.channel.value,
            )
        )
        # The old address hears of an email change; the (unchanged) email of a phone change.
        return queue_notice(
            uow,
            self.ids,
            self.clock,
            account_id=account.id,
            to=notify,
            template=_NOTICE[change.channel],
        )

    def _check_password(
        self, principal: Principal, password: str, channel: Channel, ctx: ClientContext
    ) -> None:
        with self.uow() as uow:
            account = self._own(uow, principal, lock=False)
            if self.passwords.verify(account.password_hash, password):
                return
            self._refused(uow, account, channel, "password", ctx)
            uow.commit()
        # 422, not 401: the session is fine, only the form is wrong.
        raise InvalidInput("the password is wrong", field="password")

    def _refused(
        self, uow: UnitOfWork, account: Account, channel: Channel, reason: str, ctx: ClientContext
    ) -> None:
        uow.audit.append(
            self.auditor.event(
                AuditEventType.CONTACT_CHANGE_REFUSED,
                outcome="refused",
                account_id=account.id,
                ip=ctx.ip,
                channel=channel.value,
                reason=reason,
            )
        )

    def _own(self, uow: UnitOfWork, principal: Principal, *, lock: bool = True) -> Account:
        account = uow.accounts.get(principal.account_id, for_update=lock)
        if account is None or not account.can_sign_in:
            raise InvalidCredentials
        return account

    def _sends(self, principal: Principal, channel: Channel, value: str) -> bool:
        """Whether a code really leaves: not when another account proved the contact."""
        with self.uow() as uow:
            holder = find_by_contact(uow, channel, value)
        return holder is None or holder.id == principal.account_id or not proven_on(holder, channel)
