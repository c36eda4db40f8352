"""NIST SP 800-63B-4 password rules: length, a breached-password list, context words."""

from __future__ import annotations

from pathlib import Path

import pytest

from domestyx.adapters.memory.passwords import SetPasswordBlocklist
from domestyx.domain.model.accounts import Role
from domestyx.domain.model.audit import AuditEventType, ClientContext
from domestyx.domain.model.errors import WeakPassword
from domestyx.domain.services.passwords import PasswordPolicy
from domestyx.entrypoints.cli.main import main
from domestyx.ports.passwords import PasswordBlocklist
from tests.support.abuse_world import AbuseWorld
from tests.support.worlds import Fakes, fake_services

# The policy as the composition root builds it, over a small list or the shipped one.
POLICY = fake_services(
    Fakes(), {PasswordBlocklist: SetPasswordBlocklist(frozenset({"sunshine", "letmein1"}))}
).accounts.password_policy
SHIPPED = fake_services(Fakes()).accounts.password_policy
EMAIL, PHONE = "maria.lopez@example.com", "+447700900123"


def refusal(policy: PasswordPolicy, password: str) -> str:
    with pytest.raises(WeakPassword) as refused:
        policy.check(password, email=EMAIL, phone=PHONE)
    assert refused.value.code == "weak-password" and refused.value.field == "password"
    return refused.value.detail


@pytest.mark.parametrize("password", ["short", "x" * 129, " " * 12])
def test_length_is_8_to_128(password: str) -> None:
    assert "8 to 128" in refusal(POLICY, password)


@pytest.mark.parametrize(
    "password", ["sunshine", "SUNSHINE", "Sunshine2026!", "!!sunshine", "letmein1", "zzzzzzzz"]
)
def test_listed_passwords_and_their_decorations_are_refused(password: str) -> None:
    assert "common or breached" in refusal(POLICY, password)


@pytest.mark.parametrize(
    "password",
    [
        "maria.lopez-rocks",
        "MARIA.LOPEZ@EXAMPLE.COM",
        "me+447700900123",
        "x77009001230",
        "DomestyX-26",
    ],
)
def test_context_specific_words_are_refused(password: str) -> None:
    assert "email address, your phone number or the name" in refusal(POLICY, password)


@pytest.mark.parametrize(
    "password", ["correct horse battery staple", "Quartz-zebra-hunter-91", "ünïcödé pass phrase"]
)
def test_long_unlisted_passwords_pass_without_composition_rules(password: str) -> None:
    POLICY.check(password, email=EMAIL, phone=PHONE)


@pytest.mark.parametrize(
    "password", ["password", "qwerty123", "iloveyou", "Dragon2026", "12345678"]
)
def test_the_shipped_list_knows_the_usual_suspects(password: str) -> None:
    assert "common or breached" in refusal(SHIPPED, password)


def test_a_weak_password_at_register_writes_nothing_but_its_audit_event() -> None:
    world = AbuseWorld()
    with pytest.raises(WeakPassword):
        world.accounts.register(
            EMAIL,
            PHONE,
            "password1",
            Role.WORKER,
            ClientContext(ip="192.0.2.1"),
            token=world.human("register"),
        )
    assert world.db.state.accounts == {} and world.db.state.deliveries == {}
    (event,) = world.events(AuditEventType.PASSWORD_REJECTED)
    assert event.outcome == "refused" and "password1" not in str(event.details)


def test_password_change_and_staff_creation_use_the_same_policy() -> None:
    world = AbuseWorld()
    with pytest.raises(WeakPassword):
        world.accounts.create_staff(EMAIL, PHONE, "maria.lopez.admin", Role.ADMIN)
    staff = world.accounts.create_staff(EMAIL, PHONE, "granite violet lantern", Role.ADMIN)
    tokens = world.accounts.login(
        EMAIL, "granite violet lantern", by_phone=False, ctx=ClientContext()
    )
    me = world.sessions.authenticate(tokens.access_token)
    with pytest.raises(WeakPassword):
        world.accounts.change_password(me, "granite violet lantern", "iloveyou", ClientContext())
    with pytest.raises(WeakPassword):
        world.accounts.change_password(
            me, "granite violet lantern", "maria.lopez!", ClientContext()
        )
    assert staff.password_hash == world.db.state.accounts[staff.id].password_hash  # unchanged


def test_create_admin_refuses_a_weak_password_with_a_reason_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DOMESTYX_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("ARGON2_TIME_COST", "1")
    monkeypatch.setenv("ARGON2_MEMORY_KIB", "8192")
    monkeypatch.setenv("DOMESTYX_ADMIN_PASSWORD", "iloveyou")
    assert main(["migrate"]) == 0
    argv = ["create-admin", "--email", EMAIL, "--phone", PHONE, "--role", "admin"]
    assert main(argv) == 2
    assert "common or breached" in capsys.readouterr().err
    monkeypatch.setenv("DOMESTYX_ADMIN_PASSWORD", "granite violet lantern")
    assert main(argv) == 0
