"""Abuse rules as data: one declaration per operation, applied by the one guard, loudly."""

from __future__ import annotations

import pytest

from domestyx.domain.model.abuse import (
    DEFAULT_LIMITS,
    GUARDS,
    AbusePolicy,
    CaptchaNeed,
    MissingSubject,
    Operation,
    Scope,
    Spend,
)
from domestyx.domain.model.audit import AuditEventType, ClientContext
from domestyx.domain.model.errors import (
    CaptchaFailed,
    InvalidInput,
    RateLimited,
    SmsBudgetExhausted,
)
from domestyx.entrypoints.settings import Settings, SettingsError
from tests.support.abuse_world import AbuseWorld

CTX = ClientContext(ip="198.51.100.7")


def test_every_operation_is_declared_and_its_limits_use_only_declared_scopes() -> None:
    assert set(GUARDS) == set(Operation)
    for operation, declared in GUARDS.items():
        assert {limit.scope for limit in declared.limits} <= declared.scopes, operation
        if declared.captcha is not CaptchaNeed.NEVER:
            assert declared.action == operation.value  # the web client's Turnstile action


def test_the_operation_names_are_the_rate_limit_names_of_before() -> None:
    names = {"register", "login", "otp_send", "otp_send_sms", "otp_verify", "refresh", "upload"}
    assert names <= {str(op) for op in Operation}  # RATE_LIMITS written before keep working
    assert {str(op) for op in Operation} - names == {"contact_change", "password_forgot"}
    assert DEFAULT_LIMITS["login"] == GUARDS[Operation.LOGIN].limits  # a StrEnum key: str works


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("logn.ip", "unknown operation 'logn'"),
        ("login.acount", "'login' has no scope 'acount'"),
        ("register.destination", "'register' has no scope 'destination'"),
        ("login", "'login' has no scope ''"),
    ],
)
def test_an_unknown_operation_or_scope_is_refused_with_a_clear_message(name: str, why: str) -> None:
    with pytest.raises(InvalidInput, match=why):
        AbusePolicy().with_overrides({name: "1/1h"})


@pytest.mark.parametrize("spec", ["five/1h", "5/1w", "5", "/1h"])  # bounds: settings' rules
def test_a_limit_that_cannot_hold_is_refused(spec: str) -> None:
    with pytest.raises(InvalidInput):
        AbusePolicy().with_overrides({"login.ip": spec})


def test_rate_limits_with_a_typo_stop_the_start() -> None:
    with pytest.raises(SettingsError, match="logn"):
        Settings.from_env({"RATE_LIMITS": "logn.ip=1/1h"})


def test_an_override_replaces_only_its_own_scope() -> None:
    policy = AbusePolicy().with_overrides({"otp_send.destination": "3/1h"})
    limits = policy.limits[Operation.OTP_SEND]
    assert [(x.scope, x.count) for x in limits] == [(Scope.IP, 20), (Scope.DESTINATION, 3)]


@pytest.mark.parametrize(
    "operation", [op for op, g in GUARDS.items() if g.scopes - {Scope.IP}], ids=str
)
def test_a_forgotten_subject_is_a_programming_error_not_a_dropped_limit(
    operation: Operation,
) -> None:
    world = AbuseWorld()
    with pytest.raises(MissingSubject, match=str(operation)):
        world.guard.limit({operation: {}}, CTX)
    assert world.limiter._logs == {}


def test_a_declared_captcha_is_demanded_by_the_guard_itself() -> None:
    world = AbuseWorld()
    for operation, declared in GUARDS.items():
        if declared.captcha is CaptchaNeed.ALWAYS:
            with pytest.raises(CaptchaFailed):
                world.guard.admit({operation: _subjects(operation)}, CTX, token=None)
            world.guard.admit(
                {operation: _subjects(operation)}, CTX, token=world.human(str(operation))
            )


def test_a_token_for_another_action_is_refused() -> None:
    world = AbuseWorld()
    with pytest.raises(CaptchaFailed):
        world.guard.admit({Operation.REGISTER: {}}, CTX, token=world.human("login"))


def test_one_decision_is_one_limiter_call_over_every_rule() -> None:
    world = AbuseWorld(policy=AbusePolicy().with_overrides({"otp_send.ip": "2/1h"}))
    demands = {Operation.OTP_SEND: {Scope.DESTINATION: "d1"}}
    calls: list[int] = []
    hit = world.limiter.hit
    world.limiter.hit = lambda rules, now, **kw: (
        calls.append(len(rules)) or hit(rules, now=now, **kw)
    )  # type: ignore[method-assign]  # count the calls
    world.guard.limit(demands, CTX)
    world.guard.limit(demands, CTX)
    with pytest.raises(RateLimited):
        world.guard.limit(demands, CTX)
    # ip + two destination windows, in one call each; the refusal's audit sampling rides on it
    assert calls == [3, 3, 3]
    assert len(world.events(AuditEventType.RATE_LIMITED)) == 1  # the refusal is still audited


def test_on_delivery_limits_are_checked_on_admission_and_spent_only_by_spend() -> None:
    world = AbuseWorld(policy=AbusePolicy().with_overrides({"otp_send_sms.global": "2/1h"}))
    assert GUARDS[Operation.OTP_SEND_SMS].spend is Spend.ON_DELIVERY
    sms = {Operation.OTP_SEND_SMS: {Scope.PREFIX: "+44", Scope.GLOBAL: "all"}}
    for _ in range(10):
        world.guard.limit(sms, CTX)  # checked, never counted
    world.guard.spend(sms, CTX)
    world.guard.spend(sms, CTX)
    for _ in range(3):
        with pytest.raises(SmsBudgetExhausted):
            world.guard.limit(sms, CTX)  # now exhausted for everyone


def _subjects(operation: Operation) -> dict[Scope, str]:
    return {scope: "s" for scope in GUARDS[operation].scopes if scope is not Scope.IP}


def test_no_http_handler_applies_a_limit_itself() -> None:
    """Handlers only parse and call: every limit is applied inside the use case by the guard."""
    import ast
    from pathlib import Path

    routes = Path(__file__).resolve().parents[2] / "src/domestyx/entrypoints/http/routes"
    offenders = [
        f"{path.name}:{node.lineno}"
        for path in sorted(routes.glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute) and node.attr == "guard"
    ]
    assert offenders == []
