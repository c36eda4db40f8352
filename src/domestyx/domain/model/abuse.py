"""Abuse policy: rate-limit rules, SMS-pumping defence and account lockouts."""

from __future__ import annotations

import enum
import ipaddress
import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import attrs

from domestyx.domain.model.errors import AccountLocked, DestinationNotAllowed, InvalidInput
from domestyx.domain.model.rate_limits import FailureTally, RateRule


class Scope(enum.StrEnum):
    """What a limit counts by."""

    IP = "ip"
    ACCOUNT = "account"
    DESTINATION = "destination"
    PREFIX = "prefix"
    GLOBAL = "global"


@attrs.frozen
class Limit:
    """`count` per `window` for one scope of one endpoint."""

    scope: Scope
    count: int
    window: timedelta

    @classmethod
    def parse(cls, scope: str, spec: str) -> Limit:
        """Read '20/1h', '5/10m', '100/30s' or '10/1d'."""
        units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
        try:
            count_s, window_s = spec.split("/")
            amount = int(window_s[:-1] or "1") * units[window_s[-1]]
            return cls(Scope(scope), int(count_s), timedelta(seconds=amount))
        except (ValueError, KeyError, IndexError) as exc:
            raise InvalidInput(f"bad rate limit '{scope}={spec}'") from exc


def _h(hours: int) -> timedelta:
    return timedelta(hours=hours)


DEFAULT_LIMITS: dict[str, tuple[Limit, ...]] = {
    "register": (Limit(Scope.IP, 10, _h(1)),),
    "login": (Limit(Scope.IP, 30, timedelta(minutes=10)), Limit(Scope.ACCOUNT, 20, _h(1))),
    "otp_send": (
        Limit(Scope.IP, 20, _h(1)),
        Limit(Scope.DESTINATION, 5, _h(1)),
        Limit(Scope.DESTINATION, 10, _h(24)),
    ),
    "otp_send_sms": (Limit(Scope.PREFIX, 100, _h(1)), Limit(Scope.GLOBAL, 1000, _h(1))),
    "otp_verify": (Limit(Scope.IP, 60, timedelta(minutes=10)),),
    "refresh": (Limit(Scope.IP, 120, timedelta(minutes=10)),),
    "upload": (Limit(Scope.ACCOUNT, 30, _h(1)),),
    # Email/phone change requests (each checks a password), before the send caps apply.
    "contact_change": (Limit(Scope.IP, 20, _h(1)), Limit(Scope.ACCOUNT, 10, _h(1))),
}


def ip_bucket(ip: str) -> str:
    """IPv4 counts per address, IPv6 per /64 (one subscriber usually holds a whole /64)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return f"raw:{ip[:64]}"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address)


@attrs.frozen
class SmsPolicy:
    """Where SMS may go; None allows every country (the embedded default only)."""

    allowed_prefixes: tuple[str, ...] | None = None

    def prefix_of(self, phone: str, calling_code: str) -> str:
        """The allowlisted prefix a canonical number falls under (longest match), or its code.

        `calling_code` comes from the ContactCanonicalizer, so caps count by the country the
        number really belongs to.
        """
        if self.allowed_prefixes:
            matches = [p for p in self.allowed_prefixes if phone.startswith(p)]
            if matches:
                return max(matches, key=len)
        return calling_code

    def check(self, phone: str) -> None:
        """Refuse numbers outside the allowlist."""
        if self.allowed_prefixes is not None and not any(
            phone.startswith(p) for p in self.allowed_prefixes
        ):
            raise DestinationNotAllowed


@attrs.frozen
class AbusePolicy:
    """Every limit by endpoint; override any of them from configuration."""

    limits: Mapping[str, Sequence[Limit]] = attrs.field(factory=lambda: dict(DEFAULT_LIMITS))
    sms: SmsPolicy = SmsPolicy()

    def rules(self, endpoint: str, subjects: Mapping[Scope, str]) -> list[RateRule]:
        """The rules of an endpoint for the subjects known; scopes without a subject are skipped."""
        rules = []
        for limit in self.limits.get(endpoint, ()):
            subject = subjects.get(limit.scope)
            if subject is None:
                continue
            window = int(limit.window.total_seconds())
            rules.append(
                RateRule(
                    name=f"{endpoint}.{limit.scope}.{window}s",
                    key=f"rl:{endpoint}:{limit.scope}:{window}:{subject}",
                    limit=limit.count,
                    window=limit.window,
                )
            )
        return rules

    def with_overrides(self, overrides: Mapping[str, str]) -> AbusePolicy:
        """Apply 'endpoint.scope' -> 'count/window' overrides (replacing that scope's limits)."""
        limits = {k: list(v) for k, v in self.limits.items()}
        for name, spec in overrides.items():
            endpoint, _, scope = name.partition(".")
            limit = Limit.parse(scope, spec)
            kept = [x for x in limits.get(endpoint, []) if x.scope is not limit.scope]
            limits[endpoint] = [*kept, limit]
        return attrs.evolve(self, limits={k: tuple(v) for k, v in limits.items()})


@attrs.frozen
class LockoutPolicy:
    """NIST SP 800-63B: at most 100 consecutive failures; a rising delay before that."""

    window: timedelta = timedelta(hours=24)
    max_failures: int = 100
    free_failures: int = 5
    base_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(minutes=15)

    def delay_after(self, failures: int) -> timedelta:
        """How long to wait after the n-th failure before the next try."""
        if failures < self.free_failures:
            return timedelta(0)
        factor: int = 2 ** min(failures - self.free_failures, 20)
        delay: timedelta = min(self.base_delay * factor, self.max_delay)
        return delay

    def check(self, tally: FailureTally, now: datetime) -> None:
        """Raise AccountLocked while the account must wait."""
        if tally.last_at is None:
            return
        if tally.count >= self.max_failures:
            wait = tally.last_at + self.window - now
        else:
            wait = tally.last_at + self.delay_after(tally.count) - now
        if wait > timedelta(0):
            raise AccountLocked(
                retry_after=max(1, math.ceil(wait.total_seconds())), policy="account-lockout"
            )
