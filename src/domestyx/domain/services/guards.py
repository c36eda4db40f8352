"""The request guard: captcha, rate limits and lockouts, with their audit trail."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING

import attrs

from domestyx.domain.model.abuse import AbusePolicy, LockoutPolicy, Scope, ip_bucket
from domestyx.domain.model.audit import AuditEvent, AuditEventType, ClientContext
from domestyx.domain.model.errors import CaptchaFailed, RateLimited, SmsBudgetExhausted
from domestyx.domain.model.rate_limits import FailureTally, RateDecision, RateRule
from domestyx.domain.services.auditor import Auditor

if TYPE_CHECKING:
    from domestyx.ports.captcha import CaptchaVerifier
    from domestyx.ports.clock import Clock
    from domestyx.ports.monitoring import ErrorReporter
    from domestyx.ports.rate_limiter import FailureCounter, RateLimiter
    from domestyx.ports.repositories import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger("domestyx.abuse")
GLOBAL_SMS_RULE = "otp_send_sms.global"


@attrs.frozen
class CaptchaPolicy:
    """What a Turnstile verdict must say besides success."""

    expected_hostnames: tuple[str, ...] = ()
    require_action: bool = True


@attrs.frozen
class RequestGuard:
    """Applies the abuse policy; denials are logged and audited (once per key per minute)."""

    limiter: RateLimiter
    failures: FailureCounter
    captcha: CaptchaVerifier
    clock: Clock
    uow: UnitOfWorkFactory
    auditor: Auditor
    reporter: ErrorReporter
    policy: AbusePolicy = AbusePolicy()
    lockout: LockoutPolicy = LockoutPolicy()
    captcha_policy: CaptchaPolicy = CaptchaPolicy()

    def require_human(self, token: str | None, action: str, ctx: ClientContext) -> None:
        """Redeem the Turnstile token for this endpoint's action, or refuse."""
        if not token or len(token) > 2048:
            self._captcha_failed(action, ctx, "missing-input-response")
        verdict = self.captcha.verify(token or "", remote_ip=ctx.ip or None)
        hostnames = self.captcha_policy.expected_hostnames
        if not verdict.success:
            self._captcha_failed(action, ctx, ",".join(verdict.error_codes) or "unsuccessful")
        if hostnames and verdict.hostname not in hostnames:
            self._captcha_failed(action, ctx, "hostname-mismatch")
        if verdict.action and verdict.action != action:
            self._captcha_failed(action, ctx, "action-mismatch")
        if not verdict.action and self.captcha_policy.require_action:
            self._captcha_failed(action, ctx, "action-missing")

    def _captcha_failed(self, action: str, ctx: ClientContext, reason: str) -> None:
        log.warning("captcha refused", extra={"action": action, "reason": reason, "ip": ctx.ip})
        self._audit_sampled(
            f"captcha:{action}:{ip_bucket(ctx.ip)}",
            AuditEventType.CAPTCHA_FAILED,
            ctx,
            action=action,
            reason=reason,
        )
        raise CaptchaFailed

    def limit(
        self, endpoints: Mapping[str, Mapping[Scope, str]], ctx: ClientContext
    ) -> RateDecision:
        """One atomic decision over every rule of the given endpoints."""
        rules: list[RateRule] = []
        for endpoint, subjects in endpoints.items():
            rules += self.policy.rules(endpoint, {Scope.IP: ip_bucket(ctx.ip), **subjects})
        decision = self.limiter.hit(rules, now=self.clock.now())
        if decision.allowed:
            return decision
        log.warning("rate limited", extra={"rule": decision.rule, "ip": ctx.ip})
        self._audit_sampled(
            f"rl:{decision.rule}:{ip_bucket(ctx.ip)}",
            AuditEventType.RATE_LIMITED,
            ctx,
            rule=decision.rule,
        )
        if decision.rule.startswith(GLOBAL_SMS_RULE):
            self._trip_sms_breaker(ctx)
            raise SmsBudgetExhausted(retry_after=decision.retry_after)
        raise RateLimited(
            retry_after=decision.retry_after,
            limit=decision.limit,
            remaining=0,
            reset_after=decision.reset_after,
            policy=decision.rule,
        )

    def _trip_sms_breaker(self, ctx: ClientContext) -> None:
        once = RateRule("alert", "alert:sms-breaker", 1, timedelta(hours=1))
        if self.limiter.hit([once], now=self.clock.now()).allowed:
            self.reporter.capture_message(
                "SMS budget breaker tripped", level="error", rule=GLOBAL_SMS_RULE
            )
            self._audit(AuditEventType.SMS_BREAKER_TRIPPED, ctx, outcome="tripped")

    def check_lockout(self, key: str) -> FailureTally:
        """Refuse while the account waits out its rising delay or lockout; returns the tally."""
        now = self.clock.now()
        tally = self.failures.tally(key, now=now, window=self.lockout.window)
        self.lockout.check(tally, now)
        return tally

    def record_failure(
        self,
        key: str,
        ctx: ClientContext,
        account_id: str | None,
        *,
        uow: UnitOfWork | None = None,
    ) -> FailureTally:
        """Count a failure; the one that reaches the cap is audited as a lockout.

        A caller inside a transaction passes it, so the lockout event commits with its own
        (a second, nested transaction would wait on the first under SQLite).
        """
        tally = self.failures.add(key, now=self.clock.now(), window=self.lockout.window)
        if tally.count == self.lockout.max_failures:
            event = self.auditor.event(
                AuditEventType.LOCKOUT, outcome="locked", account_id=account_id, ip=ctx.ip
            )
            if uow is not None:
                uow.audit.append(event)
            else:
                self._append(event)
        return tally

    def clear_failures(self, key: str, tally: FailureTally | None = None) -> None:
        """Reset after a success; skipped (no round trip) when the tally shows nothing to clear."""
        if tally is None or tally.count:
            self.failures.clear(key)

    def _audit_sampled(
        self, key: str, event: AuditEventType, ctx: ClientContext, **details: str
    ) -> None:
        once = RateRule("audit", f"audit:{key}", 1, timedelta(minutes=1))
        try:
            if self.limiter.hit([once], now=self.clock.now()).allowed:
                self._audit(event, ctx, outcome="refused", **details)
        except Exception:  # the refusal stands even when its audit cannot be written
            log.exception("could not audit a refusal")

    def _audit(
        self,
        event: AuditEventType,
        ctx: ClientContext,
        *,
        outcome: str,
        account_id: str | None = None,
        **details: str,
    ) -> None:
        self._append(
            self.auditor.event(event, outcome=outcome, account_id=account_id, ip=ctx.ip, **details)
        )

    def _append(self, event: AuditEvent) -> None:
        with self.uow() as uow:
            uow.audit.append(event)
            uow.commit()
