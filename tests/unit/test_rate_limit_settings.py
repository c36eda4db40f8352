"""RATE_LIMITS: a typo is refused at start in every mode instead of silently turning a limit off."""

from __future__ import annotations

import pytest

from domestyx.domain.model.abuse import DEFAULT_LIMITS, AbusePolicy, Scope
from domestyx.entrypoints.settings import Settings, SettingsError


def problems(**env: str) -> list[str]:
    try:
        Settings.from_env(env)
    except SettingsError as exc:
        return exc.problems
    return []


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        (
            "logn.ip=1/1h",
            "RATE_LIMITS: 'logn.ip=1/1h': unknown operation 'logn' (known: register, ",
        ),
        ("login.iq=1/1h", "RATE_LIMITS: 'login.iq=1/1h': unknown scope 'iq' (known: ip, account"),
        ("register.account=1/1h", "register is not limited by account (its scopes: ip)"),
        (
            "foo",
            "RATE_LIMITS: 'foo': 'foo' is not operation.scope; "
            "expected operation.scope=count/window, e.g. login.ip=30/10m",
        ),
        ("=", "an empty rule; expected operation.scope=count/window"),
        ("login=1/1h", "'login' is not operation.scope; expected operation.scope=count/window"),
        ("login.ip", "no limit given; expected operation.scope=count/window"),
        ("login.ip=lots", "'lots' is not a limit; expected count/window, e.g. 20/1h, 5/10m"),
        ("login.ip=5/1w", "'5/1w' is not a limit; expected count/window"),
        ("login.ip=-1/1h", "the count must be 0 or more"),
        ("login.ip=5/0h", "the window longer than 0"),
        ("LOGIN.IP=5/1h", "unknown operation 'LOGIN'"),
    ],
)
@pytest.mark.parametrize("mode", ["development", "test", "production"])
def test_a_rate_limit_typo_is_refused_with_a_clear_message(
    value: str, complaint: str, mode: str
) -> None:
    found = [p for p in problems(DOMESTYX_ENV=mode, RATE_LIMITS=value) if "RATE_LIMITS" in p]
    assert len(found) == 1 and complaint in found[0], found


def test_every_typo_is_listed_at_once() -> None:
    found = problems(RATE_LIMITS="logn.ip=1/1h, login.ip=30/10m, otp_send.iq=1/1h")
    assert [p.split(":")[1].strip() for p in found] == ["'logn.ip=1/1h'", "'otp_send.iq=1/1h'"]


@pytest.mark.parametrize("variable", ["SMS_HOURLY_BUDGET", "SMS_PREFIX_HOURLY_CAP"])
def test_the_sms_budgets_are_checked_like_rate_limits(variable: str) -> None:
    (problem,) = problems(**{variable: "lots"})
    assert problem == f"{variable}: 'lots' is not a whole number of SMS per hour"


def test_every_operation_and_scope_of_the_defaults_is_accepted_and_applied() -> None:
    spec = ",".join(
        f"{operation}.{limit.scope}=7/1h"
        for operation, limits in DEFAULT_LIMITS.items()
        for limit in limits
    )
    settings = Settings.from_env({"RATE_LIMITS": spec, "SMS_HOURLY_BUDGET": "9"})
    policy = AbusePolicy().with_overrides(dict(settings.policy.rate_limits))
    subjects = dict.fromkeys(Scope, "x")
    for operation in DEFAULT_LIMITS:
        counts = {r.name.split(".")[1]: r.limit for r in policy.rules(operation, subjects)}
        expected = {"global": 9} if operation == "otp_send_sms" else {}
        assert counts == {s: expected.get(s, 7) for s in counts}, operation
