"""Registration, password sign-in, password change and account deletion."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import TYPE_CHECKING

import attrs

from domestyx.domain.model.abuse import Operation
from domestyx.domain.model.accounts import SELF_SERVICE_ROLES, Account, AccountStatus, Role
from domestyx.domain.model.audit import AuditEventType, ClientContext
from domestyx.domain.model.delivery import Delivery, Template
from domestyx.domain.model.errors import (
    CodeAttemptsExhausted,
    Conflict,
    Forbidden,
    InvalidCredentials,
    InvalidInput,
    ResendTooSoon,
    WeakPassword,
)
from domestyx.domain.model.jobs import Job
from domestyx.domain.model.mfa import AAL_PASSWORD
from domestyx.domain.model.otp import Channel, OtpSlot, Purpose
from domestyx.domain.model.rate_limits import RateRule
from domestyx.domain.model.sessions import Principal, TokenPair
from domestyx.domain.services.auditor import Auditor
from domestyx.domain.services.lockouts import Lockouts

if TYPE_CHECKING:
    from domestyx.domain.model.keys import KeyedHasher
    from domestyx.domain.services.codes import CodeService
    from domestyx.domain.services.guards import RequestGuard
    from domestyx.domain.services.mfa import MfaService
    from domestyx.domain.services.passwords import PasswordPolicy
    from domestyx.domain.services.sessions import SessionService
    from domestyx.ports.clock import Clock
    from domestyx.ports.contacts import ContactCanonicalizer
    from domestyx.ports.randomness import IdGenerator
    from domestyx.ports.repositories import UnitOfWork, UnitOfWorkFactory
    from domestyx.ports.security import PasswordHasher
    from domestyx.ports.tasks import TaskQueue


def _unproven(account: Account) -> bool:
    """A registration whose email nobody has proven yet: a claim, replaceable by the next one."""
    return account.status is AccountStatus.PENDING and not account.email_verified


def _may_try(account: Account) -> bool:
    """Past the password check: proven email and not deleted (suspended is told so)."""
    return account.email_verified and account.status is not AccountStatus.DELETED


_ONE_MINUTE, _ONE_HOUR, _ONE_DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)


@attrs.frozen
class AccountService:
    """Account lifecycle use cases."""

    uow: UnitOfWorkFactory
    passwords: PasswordHasher
    codes: CodeService
    sessions: SessionService
    guard: RequestGuard
    queue: TaskQueue
    hasher: KeyedHasher
    ids: IdGenerator
    clock: Clock
    auditor: Auditor
    contacts: ContactCanonicalizer
    password_policy: PasswordPolicy
    dummy_hash: str = ""
    mfa: MfaService | None = None  # None: no second factor is asked for (bare test worlds)

    def register(
        self,
        email: str,
        phone: str,
        password: str,
        role: Role,
        ctx: ClientContext,
        *,
        token: str | None = None,
    ) -> None:
        """Start (or restart) a registration; a proven contact's owner gets a notice instead.

        The answer and the resend cooldown are the same in every case, so nothing tells a
        caller whether the email or phone was already someone's.
        """
        self.guard.admit({Operation.REGISTER: {}}, ctx, token=token)
        email, phone = self.contacts.email(email), self.contacts.phone(phone)
        self.check_password(password, email=email, phone=phone, ctx=ctx)
        if role not in SELF_SERVICE_ROLES:
            raise InvalidInput("role must be worker or employer", field="role")
        password_hash = self.passwords.hash(password)  # always paid, so timing reveals nothing
        try:
            with self.uow() as uow:
                delivery_id = self._register(uow, email, phone, password_hash, role=role, ctx=ctx)
                uow.commit()
        except Conflict:
            # A concurrent registration of the same email won the insert; it stands, and this
            # one leaves nothing behind. The answer stays the same.
            return
        if delivery_id:
            self.queue.enqueue(Job.DELIVER_MESSAGE, delivery_id=delivery_id)

    def _register(
        self,
        uow: UnitOfWork,
        email: str,
        phone: str,
        password_hash: str,
        *,
        role: Role,
        ctx: ClientContext,
    ) -> str | None:
        claim, phone_owner = uow.accounts.by_email_or_phone(email, phone, for_update=True)
        taken = claim if claim is not None and not _unproven(claim) else phone_owner
        if taken is not None:
            self._start_cooldown(email)
            return self._notify_owner(uow, taken, ctx)
        if claim is not None:
            # Unproven: whoever registers last replaces it, under a new id, so no code sent
            # for the earlier registration can ever activate it.
            uow.accounts.remove(claim.id)
            uow.audit.append(
                self.auditor.event(AuditEventType.REGISTER_REPLACED, account_id=claim.id, ip=ctx.ip)
            )
        return self._create(uow, email, phone, password_hash=password_hash, role=role, ctx=ctx)

    def _start_cooldown(self, email: str) -> None:
        """The same resend wait a new registration starts, bound to nobody."""
        # Already waiting is exactly what a new registration would meet.
        with contextlib.suppress(ResendTooSoon, CodeAttemptsExhausted):
            self.codes.otp.issue(OtpSlot(Purpose.VERIFY_EMAIL, email), None)

    def check_password(self, password: str, *, email: str, phone: str, ctx: ClientContext) -> None:
        """The password policy, with an audit event (no password in it) when it refuses."""
        try:
            self.password_policy.check(password, email=email, phone=phone)
        except WeakPassword as exc:
            with self.uow() as uow:
                uow.audit.append(
                    self.auditor.event(
                        AuditEventType.PASSWORD_REJECTED,
                        outcome="refused",
                        ip=ctx.ip,
                        reason=exc.detail,
                    )
                )
                uow.commit()
            raise

    def _create(
        self,
        uow: UnitOfWork,
        email: str,
        phone: str,
        *,
        password_hash: str,
        role: Role,
        ctx: ClientContext,
    ) -> str | None:
        account = Account(
            id=self.ids.new_id(),
            email=email,
            phone=phone,
            role=role,
            password_hash=password_hash,
            created_at=self.clock.now(),
        )
        uow.accounts.add(account)
        uow.audit.append(
            self.auditor.event(
                AuditEventType.REGISTER,
                account_id=account.id,
                ip=ctx.ip,
                role=role.value,
            )
        )
        try:
            return self.codes.queue_code(uow, account, Channel.EMAIL, Purpose.VERIFY_EMAIL)
        except (ResendTooSoon, CodeAttemptsExhausted):
            # A code for this address went out moments ago (or the slot is locked): the account
            # is still created; the person asks for a code again once the wait is over.
            return None

    def _notify_owner(self, uow: UnitOfWork, owner: Account, ctx: ClientContext) -> str | None:
        uow.audit.append(
            self.auditor.event(
                AuditEventType.REGISTER_DUPLICATE,
                outcome="notified",
                account_id=owner.id,
                ip=ctx.ip,
            )
        )
        if owner.status is AccountStatus.DELETED:
            return None
        return self.notify(uow, owner, Template.SIGNUP_NOTICE, once_per=_ONE_HOUR)

    def notify(
        self, uow: UnitOfWork, account: Account, template: Template, *, once_per: timedelta
    ) -> str | None:
        """Queue a notice email, at most once per period per account and template."""
        once = RateRule("notice", f"notice:{template}:{account.id}", 1, once_per)
        if not self.guard.limiter.hit([once], now=self.clock.now()).allowed:
            return None
        now = self.clock.now()
        delivery = Delivery(
            id=self.ids.new_id(),
            channel=Channel.EMAIL,
            template=template,
            destination=account.email,
            created_at=now,
            expires_at=now + _ONE_DAY,
            account_id=account.id,
        )
        uow.deliveries.add(delivery)
        return delivery.id

    def login(
        self,
        identifier: str,
        password: str,
        *,
        by_phone: bool,
        ctx: ClientContext,
        token: str | None = None,
        totp_code: str | None = None,
    ) -> TokenPair:
        """Password sign-in; the same refusal whether or not the account exists.

        Failures slow the failing client (account + network) and, after a few, demand a captcha
        from everyone; only the account-wide cap locks, and never a network the owner proved.
        """
        identifier = (
            self.contacts.phone(identifier) if by_phone else self.contacts.email(identifier)
        )
        if len(password) > self.password_policy.max_length:
            raise InvalidCredentials
        with self.uow() as uow:
            account = (
                uow.accounts.by_phone(identifier) if by_phone else uow.accounts.by_email(identifier)
            )
        subject = (
            f"acct:{account.id}" if account else f"id:{self.hasher.digest('login', identifier)}"
        )
        lockouts = Lockouts(self.guard)
        # Outside any transaction: the guard writes its own audit events (a nested writer waits
        # on the outer one under SQLite), and no connection is held while the hash is checked.
        attempt = lockouts.before_sign_in(account.id if account else None, subject, ctx, token)
        matched = self.passwords.verify(
            account.password_hash if account else self.dummy_hash, password
        )
        # An unproven email signs nobody in, and says so exactly as a wrong password would.
        if account is None or not matched or not _may_try(account):
            with self.uow() as uow:
                lockouts.sign_in_failed(attempt, ctx, uow)
                uow.audit.append(
                    self.auditor.event(
                        AuditEventType.LOGIN_FAILED,
                        outcome="failed",
                        account_id=account.id if account else None,
                        ip=ctx.ip,
                    )
                )
                uow.commit()
            raise InvalidCredentials
        if not account.can_sign_in:
            raise Forbidden(f"account is {account.status}")
        lockouts.sign_in_succeeded(attempt, ctx)
        # Accounts with an authenticator need its code too; the session records the level.
        aal = self.mfa.second_factor(account, totp_code, ctx) if self.mfa else AAL_PASSWORD
        return self._start_session(account, password, ctx, aal)

    def _start_session(
        self, account: Account, password: str, ctx: ClientContext, aal: int
    ) -> TokenPair:
        with self.uow() as uow:
            if self.passwords.needs_rehash(account.password_hash):
                account.change_password(self.passwords.hash(password), self.clock.now())
                uow.accounts.save(account)
            tokens = self.sessions.start(uow, account, ctx, aal=aal)
            uow.audit.append(
                self.auditor.event(
                    AuditEventType.LOGIN,
                    account_id=account.id,
                    ip=ctx.ip,
                    subject_id=tokens.session_id,
                    aal=str(aal),
                )
            )
            uow.commit()
        return tokens

    def change_password(
        self, principal: Principal, current_password: str, new_password: str, ctx: ClientContext
    ) -> None:
        """Replace the password and sign out every other session."""
        # The names say "password" so error reports filter these locals out of stack frames.
        with self.uow() as uow:
            account = uow.accounts.get(principal.account_id)
        if account is None or not self.passwords.verify(account.password_hash, current_password):
            # 422, not 401: the session is fine, only the form is wrong.
            raise InvalidInput("the current password is wrong", field="current_password")
        self.check_password(new_password, email=account.email, phone=account.phone, ctx=ctx)
        new_hash = self.passwords.hash(new_password)
        with self.uow() as uow:
            account = uow.accounts.get(principal.account_id, for_update=True)
            if account is None:
                raise InvalidCredentials
            account.change_password(new_hash, self.clock.now())
            uow.accounts.save(account)
            uow.sessions.revoke_all(
                account.id, self.clock.now(), "password_changed", keep=principal.session_id
            )
            uow.audit.append(
                self.auditor.event(
                    AuditEventType.PASSWORD_CHANGED,
                    account_id=account.id,
                    ip=ctx.ip,
                )
            )
            delivery_id = self.notify(uow, account, Template.PASSWORD_CHANGED, once_per=_ONE_MINUTE)
            uow.commit()
        if delivery_id:
            self.queue.enqueue(Job.DELIVER_MESSAGE, delivery_id=delivery_id)

    def delete_account(self, principal: Principal, ctx: ClientContext) -> None:
        """Close the account, sign it out everywhere, drop its contact data, erase documents."""
        now = self.clock.now()
        with self.uow() as uow:
            account = uow.accounts.get(principal.account_id, for_update=True)
            if account is None:
                raise InvalidCredentials
            account.delete(now)
            # Erasure (GDPR Art. 17): the contacts go; the id stays for the audit trail.
            account.email = f"deleted-{account.id}@invalid.domestyx"
            account.phone = "+000" + account.id[:12]
            account.password_hash = "!"  # noqa: S105 - matches no password: sign-in is impossible
            uow.accounts.save(account)
            uow.sessions.revoke_all(account.id, now, "account_deleted", keep=None)
            uow.contact_changes.discard(account.id)  # a pending change holds a contact too
            uow.audit.append(
                self.auditor.event(
                    AuditEventType.ACCOUNT_DELETED,
                    account_id=account.id,
                    ip=ctx.ip,
                )
            )
            uow.commit()
        self.queue.enqueue(Job.ERASE_ACCOUNT, account_id=principal.account_id)

    def create_staff(self, email: str, phone: str, password: str, role: Role) -> Account:
        """Operator action (CLI): a verified reviewer or admin account."""
        if not role.is_staff:
            raise InvalidInput("staff role must be reviewer or admin", field="role")
        email, phone = self.contacts.email(email), self.contacts.phone(phone)
        self.password_policy.check(password, email=email, phone=phone)
        now = self.clock.now()
        account = Account(
            id=self.ids.new_id(),
            email=email,
            phone=phone,
            role=role,
            password_hash=self.passwords.hash(password),
            created_at=now,
        )
        account.verify_email(now)
        account.verify_phone(now)
        with self.uow() as uow:
            try:
                uow.accounts.add(account)
            except Conflict as exc:
                raise Conflict("an account with that email or phone exists") from exc
            uow.audit.append(
                self.auditor.event(
                    AuditEventType.ADMIN_CREATED,
                    account_id=account.id,
                    role=role.value,
                )
            )
            uow.commit()
        return account
