"""Failure counting for codes and passwords: the failing client waits, the owner elsewhere not."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import attrs

from domestyx.domain.model.abuse import Operation, ip_bucket
from domestyx.domain.model.audit import AuditEventType, ClientContext
from domestyx.domain.model.errors import AccountLocked
from domestyx.domain.model.otp import CodeLockout
from domestyx.domain.model.rate_limits import FailureTally

if TYPE_CHECKING:
    from domestyx.domain.services.guards import RequestGuard
    from domestyx.ports.repositories import UnitOfWork


_REPROVE_AFTER = timedelta(days=1)


def _proven(known: FailureTally | None) -> bool:
    return known is not None and known.count > 0


def code_key(account_id: str) -> str:
    """The account's code-entry failure counter."""
    return f"acct:{account_id}"


def known_key(account_id: str, ctx: ClientContext) -> str:
    """A network the account's owner proved themselves from (a password or a code)."""
    return f"known:acct:{account_id}:net:{ip_bucket(ctx.ip)}"


@attrs.frozen
class SignInAttempt:
    """The counters one password attempt is judged and recorded under."""

    account_id: str | None
    account_key: str
    client_key: str
    account: FailureTally
    client: FailureTally
    known: FailureTally | None = None  # this network's proofs of the owner (account known)


@attrs.frozen
class Lockouts:
    """The guard's failure counters, used by code entry and password sign-in."""

    guard: RequestGuard

    # Code entry: one counter per account, guesses at its own live codes only.

    def code_lockout(self, account_id: str, ctx: ClientContext) -> CodeLockout:
        """The account's code-entry lockout as one atomic check takes it (OtpService.check)."""
        return CodeLockout(
            account_id=account_id,
            failure_key=code_key(account_id),
            known_key=known_key(account_id, ctx),
            policy=self.guard.lockout,
        )

    def code_failure_counted(
        self, account_id: str, failures: int, ctx: ClientContext, uow: UnitOfWork
    ) -> None:
        """A check counted a wrong guess: the one reaching the cap is audited (in `uow`)."""
        self.guard.failure_recorded(failures, ctx, account_id, uow=uow)

    def prove_network(self, account_id: str, ctx: ClientContext) -> None:
        """The owner proved themselves from this network: the account-wide cap spares it."""
        self.guard.failures.add(
            known_key(account_id, ctx),
            now=self.guard.clock.now(),
            window=self.guard.lockout.known_for,
        )

    # Password sign-in: per account + client network for the delay, per account for the rest.

    def before_sign_in(
        self, account_id: str | None, subject: str, ctx: ClientContext, token: str | None
    ) -> SignInAttempt:
        """Judge an attempt before its password is checked: delay, cap, captcha, IP limit.

        `subject` names the account, or the identifier when no account has it, so an unknown
        identifier meets exactly the same rules.
        """
        now, policy = self.guard.clock.now(), self.guard.lockout
        # One round trip: the login limits and every counter the attempt is judged by.
        attempt = self._attempt(account_id, subject, ctx)
        try:
            policy.check_delay(attempt.client, now)
            if attempt.account.count >= policy.max_failures and not _proven(attempt.known):
                policy.check_cap(attempt.account, now)
        except AccountLocked as refused:
            self.guard.audit_sampled(
                f"signin:{attempt.client_key}",
                AuditEventType.SIGN_IN_THROTTLED,
                ctx,
                policy=refused.policy,
            )
            raise
        suspect = policy.captcha_needed(attempt.account)
        self.guard.challenge([Operation.LOGIN], ctx, token=token, suspect=suspect)
        return attempt

    def sign_in_failed(self, attempt: SignInAttempt, ctx: ClientContext, uow: UnitOfWork) -> None:
        """Count a wrong password for the client and the account; thresholds are audited."""
        policy, who = self.guard.lockout, attempt.account_id
        client = self._add(attempt.client_key)
        account = self._add(attempt.account_key)
        if client.count == policy.free_failures:
            self._event(uow, AuditEventType.SIGN_IN_THROTTLED, "delayed", who, ctx)
        if account.count == policy.captcha_after:
            self._event(uow, AuditEventType.CAPTCHA_DEMANDED, "demanded", who, ctx)
        if account.count == policy.max_failures:
            self._event(uow, AuditEventType.LOCKOUT, "locked", who, ctx, counter="password")

    def sign_in_succeeded(self, attempt: SignInAttempt, ctx: ClientContext) -> None:
        """Reset the consecutive counts and remember the owner's network."""
        for key, tally in (
            (attempt.client_key, attempt.client),
            (attempt.account_key, attempt.account),
        ):
            if tally.count:
                self.guard.failures.clear(key)
        if attempt.account_id is not None and not self._recently_proven(attempt.known):
            self.prove_network(attempt.account_id, ctx)

    def _attempt(self, account_id: str | None, subject: str, ctx: ClientContext) -> SignInAttempt:
        account_key = f"login:{subject}"
        client_key = f"{account_key}:net:{ip_bucket(ctx.ip)}"
        lockout = self.guard.lockout
        tallies = [(account_key, lockout.window), (client_key, lockout.window)]
        if account_id is not None:
            tallies.append((known_key(account_id, ctx), lockout.known_for))
        found = self.guard.limit_and_tally({Operation.LOGIN: {}}, ctx, tallies)
        return SignInAttempt(
            account_id=account_id,
            account_key=account_key,
            client_key=client_key,
            account=found[0],
            client=found[1],
            known=found[2] if account_id is not None else None,
        )

    def _recently_proven(self, known: FailureTally | None) -> bool:
        """Proven from here within a day: remembering it again would only move the 90 days."""
        if known is None or known.last_at is None:
            return False
        return self.guard.clock.now() - known.last_at < _REPROVE_AFTER

    def _add(self, key: str) -> FailureTally:
        return self.guard.failures.add(
            key, now=self.guard.clock.now(), window=self.guard.lockout.window
        )

    def _event(
        self,
        uow: UnitOfWork,
        event: AuditEventType,
        outcome: str,
        account_id: str | None,
        ctx: ClientContext,
        **details: str,
    ) -> None:
        uow.audit.append(
            self.guard.auditor.event(
                event, outcome=outcome, account_id=account_id, ip=ctx.ip, **details
            )
        )
