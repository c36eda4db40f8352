"""RATE_LIMITS and the SMS budgets: typos are refused, production keeps limits under ceilings."""

from __future__ import annotations

from collections.abc import Mapping

from domestyx.domain.model.abuse import DEFAULT_LIMITS, GUARDS, Limit, Operation, Scope
from domestyx.domain.model.errors import InvalidInput
from domestyx.entrypoints.settings.reader import csv

# Production ceiling: an override may be at most this many times its default, in count and rate.
CEILING = 100
SMS_BUDGETS = (
    ("SMS_HOURLY_BUDGET", "otp_send_sms.global"),
    ("SMS_PREFIX_HOURLY_CAP", "otp_send_sms.prefix"),
)
_SYNTAX = "operation.scope=count/window, e.g. login.ip=30/10m"
_WINDOW = "count/window, e.g. 20/1h, 5/10m, 100/30s or 1/1d (s, m, h, d)"


def read_rate_limits(
    env: Mapping[str, str], problems: list[str], *, production: bool
) -> tuple[tuple[str, str], ...]:
    """Every override as ('operation.scope', 'count/window'), each checked; problems appended."""
    written = [("RATE_LIMITS", item) for item in csv(env.get("RATE_LIMITS", ""))]
    for variable, name in SMS_BUDGETS:
        if env.get(variable, "").strip():
            value = env[variable].strip()
            if not value.isdigit():
                problems.append(f"{variable}: {value!r} is not a whole number of SMS per hour")
                continue
            written.append((variable, f"{name}={value}/1h"))
    overrides = []
    for variable, item in written:
        name, _, spec = (part.strip() for part in item.partition("="))
        problem = _problem(name, spec, production=production)
        if problem is None:
            overrides.append((name, spec))
        else:
            shown = env[variable].strip() if variable != "RATE_LIMITS" else item
            problems.append(f"{variable}: {shown!r}: {problem}")
    return tuple(overrides)


def _shape(name: str, spec: str) -> str | None:
    """What is missing from `operation.scope=count/window`, said with the expected form."""
    if not name and not spec:
        return f"an empty rule; expected {_SYNTAX}, rules separated by commas"
    if "." not in name:
        return f"{name!r} is not operation.scope; expected {_SYNTAX}"
    if not spec:
        return f"no limit given; expected {_SYNTAX}"
    return None


def _problem(name: str, spec: str, *, production: bool) -> str | None:
    operation, _, scope = name.partition(".")
    unknown = _shape(name, spec) or _unknown(operation, scope)
    if unknown:
        return unknown
    try:
        limit = Limit.parse(scope, spec)
    except InvalidInput:
        return f"{spec!r} is not a limit; expected {_WINDOW}"
    if limit.count < 0 or limit.window.total_seconds() <= 0:
        return "the count must be 0 or more and the window longer than 0"
    defaults = [d for d in DEFAULT_LIMITS[Operation(operation)] if d.scope == scope]
    return _above_ceiling(limit, defaults) if production and defaults else None


def _unknown(operation: str, scope: str) -> str | None:
    """A typo would otherwise add a rule nothing ever applies (the limit silently off)."""
    if operation not in set(Operation):
        return f"unknown operation {operation!r} (known: {', '.join(Operation)})"
    if scope not in set(Scope):
        return f"unknown scope {scope!r} (known: {', '.join(Scope)})"
    scopes = sorted(GUARDS[Operation(operation)].scopes)  # the scopes its use case declares
    if scope not in scopes:
        return f"{operation} is not limited by {scope} (its scopes: {', '.join(scopes)})"
    return None


def _above_ceiling(limit: Limit, defaults: list[Limit]) -> str | None:
    """Counts and rates of at most CEILING times the most generous default of that scope."""
    most = max(defaults, key=lambda d: d.count / d.window.total_seconds())
    max_count = CEILING * max(d.count for d in defaults)
    rate = limit.count / limit.window.total_seconds()
    if limit.count <= max_count and rate <= CEILING * most.count / most.window.total_seconds():
        return None
    window = int(most.window.total_seconds())
    return (
        f"above the production ceiling of {CEILING}x the default "
        f"({most.count} per {window}s): at most {max_count} per window and "
        f"{CEILING * most.count} per {window}s"
    )
