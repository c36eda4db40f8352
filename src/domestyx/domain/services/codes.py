"""Sending and checking contact codes, enumeration-safe and guarded against abuse."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs

from domestyx.domain.model.abuse import Operation, Scope
from domestyx.domain.model.accounts import Account
from domestyx.domain.model.audit import AuditEventType, ClientContext
from domestyx.domain.model.delivery import Delivery, Template
from domestyx.domain.model.errors import (
    AccountLocked,
    CodeAttemptsExhausted,
    CodeExpired,
    InvalidCode,
    InvalidInput,
    NoLiveCode,
)
from domestyx.domain.model.jobs import Job
from domestyx.domain.model.keys import CodeSealer, KeyedHasher
from domestyx.domain.model.otp import Channel, CheckOutcome, CheckStatus, OtpSlot, Purpose
from domestyx.domain.model.sessions import TokenPair
from domestyx.domain.services.auditor import Auditor
from domestyx.domain.services.lockouts import Lockouts
from domestyx.domain.services.otp import OtpService

if TYPE_CHECKING:
    from collections.abc import Mapping

    from domestyx.domain.services.guards import Demands, RequestGuard
    from domestyx.domain.services.sessions import SessionService
    from domestyx.ports.clock import Clock
    from domestyx.ports.contacts import ContactCanonicalizer
    from domestyx.ports.randomness import IdGenerator
    from domestyx.ports.repositories import UnitOfWork, UnitOfWorkFactory
    from domestyx.ports.tasks import TaskQueue

log = logging.getLogger("domestyx.codes")


@attrs.frozen
class VerifyResult:
    """What a successful code proves; tokens only for the login purpose."""

    purpose: Purpose
    account: Account
    tokens: TokenPair | None = None


def canonical_destination(
    contacts: ContactCanonicalizer, channel: Channel, destination: str
) -> str:
    """The canonical email for the email channel, the canonical E.164 number for SMS."""
    return contacts.email(destination) if channel is Channel.EMAIL else contacts.phone(destination)


def find_by_contact(
    uow: UnitOfWork,
    channel: Channel,
    destination: str,
    purpose: Purpose | None = None,
    *,
    for_update: bool = False,
    caller: str | None = None,
) -> Account | None:
    """The account a code for this contact and purpose belongs to, if any."""
    if channel is Channel.EMAIL:
        return uow.accounts.by_email(destination, for_update=for_update)
    if purpose is Purpose.VERIFY_PHONE:
        claims = uow.accounts.phone_claims(destination, for_update=for_update)
        return phone_claimant(claims, caller)
    return uow.accounts.by_phone(destination, for_update=for_update)


def phone_claimant(claims: Sequence[Account], caller: str | None) -> Account | None:
    """Who may prove a number: nobody once it is owned; else the signed-in caller's claim, or
    the only claimant whose email is proven.

    A number two accounts claim is proven only by a signed-in caller (the email is proven, so
    its owner can sign in): guessing "the newest" would let a squatter who keeps registering
    fresh inboxes have the owner's code bound to the squatter's account.
    """
    if any(a.owns_phone for a in claims):
        return None
    eligible = [a for a in claims if a.can_sign_in]
    if caller is not None:
        return next((a for a in eligible if a.id == caller), None)
    return eligible[0] if len(eligible) == 1 else None


def _deliverable(account: Account | None, channel: Channel, purpose: Purpose) -> bool:
    """Whether a code should really go out; callers answer the same either way."""
    if account is None or not account.is_live:
        return False
    if purpose is Purpose.VERIFY_EMAIL:
        return not account.email_verified
    if purpose is Purpose.VERIFY_PHONE:
        # SMS-pumping defence: no SMS to a number until its account proved an email.
        return account.can_sign_in and not account.phone_verified
    # Login: only to a proven contact of an account that may sign in.
    ok = account.can_sign_in
    return ok and (channel is Channel.EMAIL or account.owns_phone)


@attrs.frozen
class CodeService:
    """otp/send and otp/verify."""

    uow: UnitOfWorkFactory
    otp: OtpService
    guard: RequestGuard
    sessions: SessionService
    queue: TaskQueue
    sealer: CodeSealer
    hasher: KeyedHasher
    ids: IdGenerator
    clock: Clock
    auditor: Auditor
    contacts: ContactCanonicalizer

    def send(
        self,
        channel: Channel,
        destination: str,
        purpose: Purpose,
        ctx: ClientContext,
        *,
        caller: str | None = None,
        token: str | None = None,
        via: Operation = Operation.OTP_SEND,
    ) -> None:
        """Issue a code; answers the same whether or not an account owns the destination.

        `caller` is the signed-in account, if any: a phone proof is then bound to it.
        `via` names the use case sending (otp/send, password/forgot): its captcha is demanded.
        """
        self.guard.challenge([via], ctx, token=token)
        purpose.check_channel(channel)
        destination = canonical_destination(self.contacts, channel, destination)
        slot = OtpSlot(purpose, destination)
        demands = self.send_demands(channel, destination)
        # One round trip: the resend cooldown first (it refuses with nothing counted), then
        # the limits.
        self.guard.limit_and_tally(demands, ctx, cooldown=self.otp.resend_cooldown(slot))
        delivery_id = self._issue(
            channel, destination, purpose, slot, ctx, caller=caller, demands=demands
        )
        if delivery_id is not None:
            self.queue.enqueue(Job.DELIVER_MESSAGE, delivery_id=delivery_id)

    def send_demands(self, channel: Channel, destination: str) -> Demands:
        """What a send to a destination is guarded by: its caps, and for SMS the SMS budget.

        The SMS caps are checked for every request (so an exhausted cap answers everyone the
        same) but spent only by messages really sent (`RequestGuard.spend`).
        """
        demands: dict[Operation, Mapping[Scope, str]] = {
            Operation.OTP_SEND: {Scope.DESTINATION: self.hasher.digest("dest", destination)}
        }
        if channel is Channel.SMS:
            sms = self.guard.policy.sms
            sms.check(destination)
            demands[Operation.OTP_SEND_SMS] = {
                Scope.PREFIX: sms.prefix_of(destination, self.contacts.calling_code(destination)),
                Scope.GLOBAL: "all",
            }
        return demands

    def queue_code(
        self,
        uow: UnitOfWork,
        account: Account,
        channel: Channel,
        purpose: Purpose,
        *,
        destination: str | None = None,
    ) -> str:
        """Inside the caller's transaction: issue a code for a known account and queue it.

        It goes to the account's own contact unless `destination` (a contact change) says.
        """
        if destination is None:
            destination = account.email if channel is Channel.EMAIL else account.phone
        issued = self.otp.issue(OtpSlot(purpose, destination), account.id)
        delivery = Delivery(
            id=self.ids.new_id(),
            channel=channel,
            template=Template.OTP,
            destination=destination,
            created_at=self.clock.now(),
            expires_at=issued.expires_at,
            account_id=account.id,
            purpose=purpose.value,
        )
        delivery.sealed_code = self.sealer.seal(issued.code, delivery.id)
        uow.deliveries.add(delivery)
        return delivery.id

    def _issue(
        self,
        channel: Channel,
        destination: str,
        purpose: Purpose,
        slot: OtpSlot,
        ctx: ClientContext,
        *,
        caller: str | None,
        demands: Demands,
    ) -> str | None:
        with self.uow() as uow:
            account = find_by_contact(uow, channel, destination, purpose, caller=caller)
        deliverable = _deliverable(account, channel, purpose)
        if deliverable:
            # Only a real send spends the SMS caps; before the code exists, so a refusal leaves
            # none, and outside any transaction, as the guard audits in one of its own.
            self.guard.spend(demands, ctx)
        with self.uow() as uow:
            if deliverable:
                assert account is not None  # noqa: S101 - narrowed by _deliverable
                delivery_id: str | None = self.queue_code(uow, account, channel, purpose)
                event = AuditEventType.OTP_SENT
            else:
                # Same cooldown and counters as a real send, so the answer reveals nothing.
                self.otp.issue(slot, None)
                delivery_id, event = None, AuditEventType.OTP_SUPPRESSED
            uow.audit.append(
                self.auditor.event(
                    event,
                    account_id=account.id if account else None,
                    ip=ctx.ip,
                    subject_id=delivery_id,
                    channel=channel.value,
                    purpose=purpose.value,
                )
            )
            uow.commit()
        return delivery_id

    def verify(
        self,
        channel: Channel,
        destination: str,
        purpose: Purpose,
        code: str,
        ctx: ClientContext,
        *,
        caller: str | None = None,
    ) -> VerifyResult:
        """Check a code; only wrong guesses at the account's own live code count to its lockout."""
        if not purpose.via_otp_routes:  # reset and change codes are redeemed by their own flows
            raise InvalidInput(f"{purpose} codes are not verified here", field="purpose")
        purpose.check_channel(channel)
        destination = canonical_destination(self.contacts, channel, destination)
        self.guard.admit({Operation.OTP_VERIFY: {}}, ctx)
        slot, lockouts = OtpSlot(purpose, destination), Lockouts(self.guard)
        with self.uow() as uow:
            # Read without a lock: no row lock is held across the round trip to the code store.
            account = find_by_contact(uow, channel, destination, purpose, caller=caller)
            lockout = lockouts.code_lockout(account.id, ctx) if account else None
            outcome = self.otp.check(slot, code, lockout)
            if outcome.status is CheckStatus.LOCKED_OUT:
                raise AccountLocked(retry_after=outcome.retry_after, policy=outcome.policy)
            try:
                locked = self._proven(uow, account, outcome, guessed=self.otp.well_formed(code))
            except (InvalidCode, CodeAttemptsExhausted) as failed:
                self._failed(uow, account, failed, purpose, ctx, outcome=outcome)
                raise
            return self._apply(uow, locked, purpose, ctx)

    @staticmethod
    def _proven(
        uow: UnitOfWork, account: Account | None, outcome: CheckOutcome, *, guessed: bool
    ) -> Account:
        """The account a matched code proves, re-read under its row lock; raise otherwise."""
        if outcome.status is CheckStatus.MISSING and guessed:
            raise CodeExpired  # expired, used, or lost with the store: only a new code helps
        if outcome.status is CheckStatus.EXHAUSTED:
            raise CodeAttemptsExhausted(retry_after=outcome.retry_after)
        if outcome.status is CheckStatus.WRONG:
            raise InvalidCode(bound_to=outcome.bound_to)
        if outcome.status is not CheckStatus.MATCHED or account is None:
            raise NoLiveCode
        if outcome.bound_to != account.id:
            raise NoLiveCode  # a code, but not this account's: nothing of its was guessed
        # Locked: a concurrent email and phone proof must not overwrite each other.
        locked = uow.accounts.get(account.id, for_update=True)
        if locked is None:
            raise NoLiveCode  # removed while the code was checked
        return locked

    def _failed(
        self,
        uow: UnitOfWork,
        account: Account | None,
        failed: Exception,
        purpose: Purpose,
        ctx: ClientContext,
        *,
        outcome: CheckOutcome,
    ) -> None:
        """Audit a failed code; it counted only as a guess at this account's own live code.

        No live code (or another's) and an exhausted slot compare nothing: they cost the
        caller's rate limits, never the owner's lockout (the check counted nothing for them).
        """
        counted = account is not None and outcome.counted
        if counted:
            assert account is not None  # noqa: S101 - narrowed just above
            Lockouts(self.guard).code_failure_counted(account.id, outcome.failures, ctx, uow)
        uow.audit.append(
            self.auditor.event(
                AuditEventType.OTP_FAILED,
                outcome="failed",
                account_id=account.id if account else None,
                ip=ctx.ip,
                purpose=purpose.value,
                lockout="counted" if counted else "not_counted",
            )
        )
        uow.commit()

    def _apply(
        self, uow: UnitOfWork, account: Account, purpose: Purpose, ctx: ClientContext
    ) -> VerifyResult:
        now = self.clock.now()
        tokens = None
        if purpose is Purpose.VERIFY_EMAIL:
            account.verify_email(now)
            uow.accounts.save(account)
        elif purpose is Purpose.VERIFY_PHONE:
            self.release_claims(uow, account, ctx)
            account.verify_phone(now)
            uow.accounts.save(account)
        else:
            tokens = self.sessions.start(uow, account, ctx)
        uow.audit.append(
            self.auditor.event(
                AuditEventType.OTP_VERIFIED,
                account_id=account.id,
                ip=ctx.ip,
                purpose=purpose.value,
            )
        )
        uow.commit()
        return VerifyResult(purpose=purpose, account=account, tokens=tokens)

    def release_claims(self, uow: UnitOfWork, owner: Account, ctx: ClientContext) -> None:
        """Proving a phone takes it from every other account that only claimed it."""
        now = self.clock.now()
        for other in uow.accounts.phone_claims(owner.phone, for_update=True):
            if other.id == owner.id or other.phone_verified:
                continue
            other.release_phone(now)
            uow.accounts.save(other)
            uow.audit.append(
                self.auditor.event(
                    AuditEventType.PHONE_RELEASED,
                    account_id=other.id,
                    ip=ctx.ip,
                    subject_id=owner.id,
                )
            )
