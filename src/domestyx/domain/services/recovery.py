"""Password recovery: a reset code to a proven contact, then a new password everywhere."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from domestyx.domain.model.abuse import Operation
from domestyx.domain.model.accounts import Account
from domestyx.domain.model.audit import AuditEventType, ClientContext
from domestyx.domain.model.delivery import Template
from domestyx.domain.model.jobs import Job
from domestyx.domain.model.otp import Channel, OtpSlot, Purpose
from domestyx.domain.services.auditor import Auditor
from domestyx.domain.services.codes import CodeService, canonical_destination, find_by_contact
from domestyx.domain.services.proofs import CodeRedeemer, queue_notice

if TYPE_CHECKING:
    from domestyx.domain.services.passwords import PasswordPolicy
    from domestyx.ports.clock import Clock
    from domestyx.ports.randomness import IdGenerator
    from domestyx.ports.repositories import UnitOfWork, UnitOfWorkFactory
    from domestyx.ports.security import PasswordHasher
    from domestyx.ports.tasks import TaskQueue


def holds_proven(account: Account | None, channel: Channel) -> bool:
    """The account exists, may sign in and has proven this contact."""
    if account is None or not account.can_sign_in:
        return False
    return account.email_verified if channel is Channel.EMAIL else account.phone_verified


@attrs.frozen
class RecoveryService:
    """password/forgot and password/reset."""

    uow: UnitOfWorkFactory
    codes: CodeService
    redeemer: CodeRedeemer
    passwords: PasswordHasher
    password_policy: PasswordPolicy
    queue: TaskQueue
    ids: IdGenerator
    clock: Clock
    auditor: Auditor

    def forgot(
        self, channel: Channel, destination: str, ctx: ClientContext, *, token: str | None
    ) -> None:
        """Send a reset code to a proven contact; the same answer (and work) when there is none."""
        # The code service's send: same caps, cooldown and suppression as every other code,
        # behind the captcha GUARDS declares for password_forgot.
        self.codes.send(
            channel,
            destination,
            Purpose.RESET_PASSWORD,
            ctx,
            token=token,
            via=Operation.PASSWORD_FORGOT,
        )

    def reset(
        self, channel: Channel, destination: str, code: str, new_password: str, ctx: ClientContext
    ) -> None:
        """Redeem the code, set the password, sign out everywhere and tell the owner."""
        destination = canonical_destination(self.codes.contacts, channel, destination)
        # Before the code, so a refusal never costs it; the destination is the context known.
        email = destination if channel is Channel.EMAIL else ""
        phone = destination if channel is Channel.SMS else ""
        self.password_policy.check(new_password, email=email, phone=phone)
        self.codes.guard.limit({Operation.OTP_VERIFY: {}}, ctx)
        new_hash = self.passwords.hash(new_password)  # always paid, found or not
        slot = OtpSlot(Purpose.RESET_PASSWORD, destination)
        with self.uow() as uow:
            found = find_by_contact(
                uow, channel, destination, Purpose.RESET_PASSWORD, for_update=True
            )
            account = found if holds_proven(found, channel) else None
            # Once the code matched, the whole context (both contacts) is known to be theirs;
            # a refusal then still keeps the code (it is consumed only after this check).
            context = {"email": account.email, "phone": account.phone} if account else {}
            self.redeemer.redeem(
                uow,
                slot,
                account,
                code,
                ctx,
                before_use=lambda: self.password_policy.check(new_password, **context),
            )
            assert account is not None  # noqa: S101 - redeem refuses a code bound to nobody
            delivery_id = self._apply(uow, account, new_hash, channel, ctx)
            uow.commit()
        self.queue.enqueue(Job.DELIVER_MESSAGE, delivery_id=delivery_id)

    def _apply(
        self,
        uow: UnitOfWork,
        account: Account,
        new_hash: str,
        channel: Channel,
        ctx: ClientContext,
    ) -> str:
        now = self.clock.now()
        account.change_password(new_hash, now)
        uow.accounts.save(account)
        revoked = uow.sessions.revoke_all(account.id, now, "password_reset", keep=None)
        # A change someone started from a stolen session dies with that session.
        uow.contact_changes.discard(account.id)
        uow.audit.append(
            self.auditor.event(
                AuditEventType.PASSWORD_RESET,
                account_id=account.id,
                ip=ctx.ip,
                channel=channel.value,
                sessions_revoked=str(revoked),
            )
        )
        return queue_notice(
            uow,
            self.ids,
            self.clock,
            account_id=account.id,
            to=account.email,
            template=Template.PASSWORD_RESET,
        )
