"""Abuse rules as data: guarded operations, their scopes, captcha needs and limits; SMS policy."""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Mapping, Sequence
from datetime import timedelta

import attrs

from domestyx.domain.model.errors import DestinationNotAllowed, InvalidInput
from domestyx.domain.model.rate_limits import RateRule


class Operation(enum.StrEnum):
    """A guarded use case; the values are the names RATE_LIMITS uses ('login.ip=30/10m')."""

    REGISTER = "register"
    LOGIN = "login"
    OTP_SEND = "otp_send"
    OTP_SEND_SMS = "otp_send_sms"
    OTP_VERIFY = "otp_verify"
    REFRESH = "refresh"
    UPLOAD = "upload"
    CONTACT_CHANGE = "contact_change"
    PASSWORD_FORGOT = "password_forgot"  # noqa: S105 - an operation name, not a secret


class Scope(enum.StrEnum):
    """What a limit counts by."""

    IP = "ip"
    ACCOUNT = "account"
    DESTINATION = "destination"
    PREFIX = "prefix"
    GLOBAL = "global"


class CaptchaNeed(enum.Enum):
    """When an operation demands a Turnstile token."""

    NEVER = "never"
    ALWAYS = "always"
    AFTER_FAILURES = "after_failures"  # once the account shows repeated failures (sign-in)


class Spend(enum.Enum):
    """When an operation's limits are counted."""

    ON_ADMISSION = "on_admission"  # every admitted request counts
    ON_DELIVERY = "on_delivery"  # checked on admission, counted only when a message really goes


@attrs.frozen
class Limit:
    """`count` per `window` for one scope of one operation."""

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
            count = int(count_s)
        except (ValueError, KeyError, IndexError) as exc:
            raise InvalidInput(
                f"bad rate limit {scope}={spec!r}: expected count/window like 20/1h or 100/30s"
            ) from exc
        return cls(Scope(scope), count, timedelta(seconds=amount))


def _h(hours: int) -> timedelta:
    return timedelta(hours=hours)


@attrs.frozen
class Guarded:
    """One operation's declaration: the scopes it counts by, its captcha, its default limits."""

    scopes: frozenset[Scope]
    limits: tuple[Limit, ...]
    captcha: CaptchaNeed = CaptchaNeed.NEVER
    action: str = ""  # the Turnstile action a token must carry (when a captcha is demanded)
    spend: Spend = Spend.ON_ADMISSION


# Every limiter key of the table below starts so; `dev reset-limits` forgets exactly these.
RATE_KEY_PREFIX = "rl:"

_IP, _ACCOUNT, _DEST = Scope.IP, Scope.ACCOUNT, Scope.DESTINATION
_TEN_MINUTES = timedelta(minutes=10)

# The one table of abuse rules: every guarded use case, what it counts and what it demands.
# A caller must give a subject for every declared scope (IP comes from the client context).
GUARDS: Mapping[Operation, Guarded] = {
    Operation.REGISTER: Guarded(
        frozenset({_IP}), (Limit(_IP, 10, _h(1)),), CaptchaNeed.ALWAYS, "register"
    ),
    Operation.LOGIN: Guarded(
        frozenset({_IP}), (Limit(_IP, 30, _TEN_MINUTES),), CaptchaNeed.AFTER_FAILURES, "login"
    ),
    Operation.OTP_SEND: Guarded(
        frozenset({_IP, _DEST}),
        (Limit(_IP, 20, _h(1)), Limit(_DEST, 5, _h(1)), Limit(_DEST, 10, _h(24))),
        CaptchaNeed.ALWAYS,
        "otp_send",
    ),
    Operation.OTP_SEND_SMS: Guarded(
        frozenset({Scope.PREFIX, Scope.GLOBAL}),
        (Limit(Scope.PREFIX, 100, _h(1)), Limit(Scope.GLOBAL, 1000, _h(1))),
        spend=Spend.ON_DELIVERY,
    ),
    Operation.OTP_VERIFY: Guarded(frozenset({_IP}), (Limit(_IP, 60, _TEN_MINUTES),)),
    Operation.REFRESH: Guarded(frozenset({_IP}), (Limit(_IP, 120, _TEN_MINUTES),)),
    Operation.UPLOAD: Guarded(frozenset({_ACCOUNT}), (Limit(_ACCOUNT, 30, _h(1)),)),
    # Email/phone change requests (each checks a password), before the send caps apply.
    Operation.CONTACT_CHANGE: Guarded(
        frozenset({_IP, _ACCOUNT}), (Limit(_IP, 20, _h(1)), Limit(_ACCOUNT, 10, _h(1)))
    ),
    # Password recovery sends a code: the send's caps apply, and a captcha of its own action.
    Operation.PASSWORD_FORGOT: Guarded(frozenset({_IP}), (), CaptchaNeed.ALWAYS, "password_forgot"),
}
DEFAULT_LIMITS: Mapping[Operation, tuple[Limit, ...]] = {op: g.limits for op, g in GUARDS.items()}


def parse_override(name: str, spec: str) -> tuple[Operation, Limit]:
    """Read one RATE_LIMITS entry ('login.ip' = '30/10m'); unknown names are refused."""
    operation_name, _, scope_name = name.partition(".")
    try:
        operation = Operation(operation_name)
    except ValueError:
        known = ", ".join(Operation)
        raise InvalidInput(f"unknown operation '{operation_name}' in '{name}' ({known})") from None
    declared = GUARDS[operation].scopes
    if scope_name not in declared:
        scopes = ", ".join(sorted(declared))
        raise InvalidInput(f"'{operation}' has no scope '{scope_name}' (it has: {scopes})")
    return operation, Limit.parse(scope_name, spec)


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
    """Every limit by operation; override any of them from configuration."""

    limits: Mapping[Operation, Sequence[Limit]] = attrs.field(factory=lambda: dict(DEFAULT_LIMITS))
    sms: SmsPolicy = SmsPolicy()

    def rules(self, operation: Operation, subjects: Mapping[Scope, str]) -> list[RateRule]:
        """The rules of an operation; a declared scope without a subject is a programming error."""
        declared = GUARDS[operation]
        missing = declared.scopes - subjects.keys()
        if missing:
            raise MissingSubject(operation, sorted(missing))
        gate = declared.spend is Spend.ON_DELIVERY
        return [
            self._rule(operation, limit, subjects[limit.scope], gate)
            for limit in self.limits.get(operation, ())
        ]

    @staticmethod
    def _rule(operation: Operation, limit: Limit, subject: str, gate: bool) -> RateRule:
        window = int(limit.window.total_seconds())
        return RateRule(
            name=f"{operation}.{limit.scope}.{window}s",
            key=f"{RATE_KEY_PREFIX}{operation}:{limit.scope}:{window}:{subject}",
            limit=limit.count,
            window=limit.window,
            spend=not gate,
        )

    def with_overrides(self, overrides: Mapping[str, str]) -> AbusePolicy:
        """Apply 'operation.scope' -> 'count/window' overrides (replacing that scope's limits)."""
        limits = {k: list(v) for k, v in self.limits.items()}
        for name, spec in overrides.items():
            operation, limit = parse_override(name, spec)
            kept = [x for x in limits.get(operation, []) if x.scope is not limit.scope]
            limits[operation] = [*kept, limit]
        return attrs.evolve(self, limits={k: tuple(v) for k, v in limits.items()})


class MissingSubject(Exception):
    """A caller forgot the subject of a declared scope: refuse loudly rather than drop a limit."""

    def __init__(self, operation: Operation, scopes: Sequence[Scope]) -> None:
        names = ", ".join(scopes)
        super().__init__(f"{operation} is declared with scopes it was not given: {names}")
