"""Redeeming a flow's code inside the caller's transaction, and the notices flows send."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

import attrs

from domestyx.domain.model.abuse import ip_bucket
from domestyx.domain.model.accounts import Account
from domestyx.domain.model.audit import AuditEventType, ClientContext
from domestyx.domain.model.delivery import Delivery, Template
from domestyx.domain.model.errors import CodeAttemptsExhausted, InvalidCode, NoLiveCode
from domestyx.domain.model.otp import Channel, OtpSlot, Purpose
from domestyx.domain.services.auditor import Auditor
from domestyx.domain.services.otp import OtpService

if TYPE_CHECKING:
    from domestyx.domain.services.guards import RequestGuard
    from domestyx.ports.clock import Clock
    from domestyx.ports.randomness import IdGenerator
    from domestyx.ports.repositories import UnitOfWork

_NOTICE_TTL = timedelta(days=1)


@attrs.frozen
class CodeRedeemer:
    """One code policy for every flow: per-code cap, single use, a flow lockout, audited."""

    otp: OtpService
    guard: RequestGuard
    auditor: Auditor

    def redeem(
        self,
        uow: UnitOfWork,
        slot: OtpSlot | None,
        account: Account | None,
        code: str,
        ctx: ClientContext,
        *,
        before_use: Callable[[], None] | None = None,
    ) -> None:
        """Consume the code bound to `account`, or count, audit, commit and raise."""
        purpose = slot.purpose if slot else Purpose.LOGIN
        # The flow's own key per client network: a stranger's guesses slow the stranger down,
        # never the owner's sign-in or the owner's own reset from another network.
        lock_key = f"{purpose}:{account.id}:{ip_bucket(ctx.ip)}" if account else None
        tally = self.guard.check_lockout(lock_key) if lock_key else None

        def bound_to_account(bound: str | None) -> None:
            if account is None or bound != account.id:
                raise InvalidCode
            if before_use is not None:
                before_use()

        try:
            if slot is None:
                raise NoLiveCode
            self.otp.verify(slot, code, before_use=bound_to_account)
        except (InvalidCode, CodeAttemptsExhausted) as exc:
            self._failed(uow, exc, lock_key, account=account, purpose=purpose, ctx=ctx)
            raise
        if lock_key:
            self.guard.clear_failures(lock_key, tally)

    def _failed(
        self,
        uow: UnitOfWork,
        exc: Exception,
        lock_key: str | None,
        *,
        account: Account | None,
        purpose: Purpose,
        ctx: ClientContext,
    ) -> None:
        # Only a guess at a live code counts: with nothing waiting there is nothing to guess.
        if lock_key and not isinstance(exc, NoLiveCode):
            self.guard.record_failure(lock_key, ctx, account.id if account else None, uow=uow)
        uow.audit.append(
            self.auditor.event(
                AuditEventType.OTP_FAILED,
                outcome="failed",
                account_id=account.id if account else None,
                ip=ctx.ip,
                purpose=purpose.value,
            )
        )
        uow.commit()


def queue_notice(
    uow: UnitOfWork,
    ids: IdGenerator,
    clock: Clock,
    *,
    account_id: str,
    to: str,
    template: Template,
) -> str:
    """Inside the caller's transaction: an account notice (no secret) to one email address."""
    now = clock.now()
    delivery = Delivery(
        id=ids.new_id(),
        channel=Channel.EMAIL,
        template=template,
        destination=to,
        created_at=now,
        expires_at=now + _NOTICE_TTL,
        account_id=account_id,
    )
    uow.deliveries.add(delivery)
    return delivery.id
