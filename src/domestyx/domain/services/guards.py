"""The one request guard: applies the declared abuse rules (captcha, limits, lockouts), audited."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

import attrs

from domestyx.domain.model.abuse import (
    GUARDS,
    RATE_KEY_PREFIX,
    AbusePolicy,
    CaptchaNeed,
    Operation,
    Scope,
    Spend,
    ip_bucket,
)
from domestyx.domain.model.audit import AuditEvent, AuditEventType, ClientContext
from domestyx.domain.model.errors import (
    CaptchaFailed,
    CaptchaRequired,
    RateLimited,
    ResendTooSoon,
    SmsBudgetExhausted,
)
from domestyx.domain.model.lockouts import LockoutPolicy
from domestyx.domain.model.rate_limits import FailureTally, RateDecision, RateRule
from domestyx.domain.services.auditor import Auditor

if TYPE_CHECKING:
    from domestyx.ports.captcha import CaptchaVerifier
    from domestyx.ports.clock import Clock
    from domestyx.ports.monitoring import ErrorReporter
    from domestyx.ports.rate_limiter import FailureCounter, GuardCounters, RateLimiter
    from domestyx.ports.repositories import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger("domestyx.abuse")
GLOBAL_SMS_RULE = f"{Operation.OTP_SEND_SMS}.{Scope.GLOBAL}"
_AUDIT_EVERY = timedelta(minutes=1)


def _sample_key(key: str) -> str:
    """The limiter key that lets one refusal under `key` be audited per `_AUDIT_EVERY`."""
    return f"audit:{key}"


Demands = Mapping[Operation, Mapping[Scope, str]]


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
    counters: GuardCounters
    captcha: CaptchaVerifier
    clock: Clock
    uow: UnitOfWorkFactory
    auditor: Auditor
    reporter: ErrorReporter
    policy: AbusePolicy = AbusePolicy()
    lockout: LockoutPolicy = LockoutPolicy()
    captcha_policy: CaptchaPolicy = CaptchaPolicy()

    def forget_limits(self) -> int:
        """Every rate-limit counter and failure tally gone (development only: the CLI refuses
        it in production); returns how many keys held something."""
        return self.limiter.reset_prefix(RATE_KEY_PREFIX) + self.failures.clear_prefix("")

    def admit(
        self,
        demands: Demands,
        ctx: ClientContext,
        *,
        token: str | None = None,
        suspect: bool = False,
    ) -> RateDecision:
        """The declared captcha, then one atomic decision over every declared limit.

        `demands` names each operation with the subjects of its declared scopes (the IP comes
        from `ctx`); a missing subject raises MissingSubject, an unknown operation KeyError.
        """
        self.challenge(demands, ctx, token=token, suspect=suspect)
        return self.limit(demands, ctx)

    def challenge(
        self,
        operations: Iterable[Operation],
        ctx: ClientContext,
        *,
        token: str | None,
        suspect: bool = False,
    ) -> None:
        """The captcha the operations declare; AFTER_FAILURES demands one when `suspect`.

        A token given where it is not demanded is still redeemed: a forged one never passes.
        """
        for operation in operations:
            declared = GUARDS[operation]
            need, action = declared.captcha, declared.action
            if need is CaptchaNeed.ALWAYS or (need is CaptchaNeed.AFTER_FAILURES and token):
                self.require_human(token, action, ctx)
            elif need is CaptchaNeed.AFTER_FAILURES and suspect:
                self._captcha_failed(action, ctx, "required", CaptchaRequired)

    def limit(self, demands: Demands, ctx: ClientContext) -> RateDecision:
        """One atomic decision over the declared limits of the operations (no captcha)."""
        return self._decide(self._rules(demands, ctx), ctx)

    def limit_and_tally(
        self,
        demands: Demands,
        ctx: ClientContext,
        tallies: Sequence[tuple[str, timedelta]] = (),
        *,
        cooldown: tuple[str, timedelta] | None = None,
    ) -> tuple[FailureTally, ...]:
        """`limit`, in the same step as the failure tallies of (key, window) and, first, the
        resend wait of a code slot (ResendTooSoon while it runs, with nothing counted)."""
        rules = self._rules(demands, ctx)
        reading = self.counters.hit_and_tally(
            rules,
            now=self.clock.now(),
            tallies=tallies,
            cooldown=cooldown,
            audit_keys=self._audit_keys(rules, ctx),
            audit_every=_AUDIT_EVERY,
        )
        if reading.cooldown:
            raise ResendTooSoon(retry_after=reading.cooldown)
        self._judge(reading.decision, ctx)
        return reading.tallies

    def _rules(self, demands: Demands, ctx: ClientContext) -> list[RateRule]:
        rules: list[RateRule] = []
        for operation, subjects in demands.items():
            rules += self.policy.rules(operation, {Scope.IP: ip_bucket(ctx.ip), **subjects})
        return rules

    def spend(self, demands: Demands, ctx: ClientContext) -> None:
        """Count the ON_DELIVERY limits now that a message really goes (refuses when exhausted)."""
        rules = [
            attrs.evolve(rule, spend=True)
            for operation, subjects in demands.items()
            if GUARDS[operation].spend is Spend.ON_DELIVERY
            for rule in self.policy.rules(operation, {Scope.IP: ip_bucket(ctx.ip), **subjects})
        ]
        self._decide(rules, ctx)

    def require_human(self, token: str | None, action: str, ctx: ClientContext) -> None:
        """Redeem the Turnstile token for this action, or refuse."""
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

    def _captcha_failed(
        self,
        action: str,
        ctx: ClientContext,
        reason: str,
        error: type[CaptchaFailed] = CaptchaFailed,
    ) -> None:
        log.warning("captcha refused", extra={"action": action, "reason": reason, "ip": ctx.ip})
        self.audit_sampled(
            f"captcha:{action}:{ip_bucket(ctx.ip)}",
            AuditEventType.CAPTCHA_FAILED,
            ctx,
            action=action,
            reason=reason,
        )
        raise error

    def _decide(self, rules: list[RateRule], ctx: ClientContext) -> RateDecision:
        decision = self.limiter.hit(
            rules,
            now=self.clock.now(),
            audit_keys=self._audit_keys(rules, ctx),
            audit_every=_AUDIT_EVERY,
        )
        return self._judge(decision, ctx)

    @staticmethod
    def _audit_keys(rules: list[RateRule], ctx: ClientContext) -> list[str]:
        # The refusal's audit sampling rides on the decision: a refused request costs no more.
        bucket = ip_bucket(ctx.ip)
        return [_sample_key(f"rl:{rule.name}:{bucket}") for rule in rules]

    def _judge(self, decision: RateDecision, ctx: ClientContext) -> RateDecision:
        """Pass an allowed decision; log, audit (when sampled) and raise a refusal."""
        if decision.allowed:
            return decision
        log.warning("rate limited", extra={"rule": decision.rule, "ip": ctx.ip})
        if decision.audit:
            self._audit_refusal(AuditEventType.RATE_LIMITED, ctx, rule=decision.rule)
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
        """Refuse while a failure counter waits out its rising delay or cap; returns the tally."""
        now = self.clock.now()
        tally = self.failures.tally(key, now=now, window=self.lockout.window)
        self.lockout.check(tally, now)
        return tally

    def record_failure(
        self, key: str, ctx: ClientContext, account_id: str | None, *, uow: UnitOfWork
    ) -> FailureTally:
        """Count a failure; the one reaching the cap is audited as a lockout, in `uow`."""
        tally = self.failures.add(key, now=self.clock.now(), window=self.lockout.window)
        self.failure_recorded(tally.count, ctx, account_id, uow=uow)
        return tally

    def failure_recorded(
        self, count: int, ctx: ClientContext, account_id: str | None, *, uow: UnitOfWork
    ) -> None:
        """Audit the failure that brought a counter to the cap as a lockout, in `uow`."""
        if count == self.lockout.max_failures:
            uow.audit.append(
                self.auditor.event(
                    AuditEventType.LOCKOUT, outcome="locked", account_id=account_id, ip=ctx.ip
                )
            )

    def clear_failures(self, key: str, tally: FailureTally | None = None) -> None:
        """Reset after a success; skipped (no round trip) when the tally shows nothing to clear."""
        if tally is None or tally.count:
            self.failures.clear(key)

    def audit_sampled(
        self, key: str, event: AuditEventType, ctx: ClientContext, **details: str
    ) -> None:
        """Audit a refusal at most once a minute per key (a flood must not flood the log)."""
        once = RateRule("audit", _sample_key(key), 1, _AUDIT_EVERY)
        try:
            sampled = self.limiter.hit([once], now=self.clock.now()).allowed
        except Exception:  # the refusal stands even when its audit cannot be decided
            log.exception("could not audit a refusal")
            return
        if sampled:
            self._audit_refusal(event, ctx, **details)

    def _audit_refusal(self, event: AuditEventType, ctx: ClientContext, **details: str) -> None:
        try:
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
        self.append(
            self.auditor.event(event, outcome=outcome, account_id=account_id, ip=ctx.ip, **details)
        )

    def append(self, event: AuditEvent) -> None:
        """Write one audit event in its own transaction."""
        with self.uow() as uow:
            uow.audit.append(event)
            uow.commit()
