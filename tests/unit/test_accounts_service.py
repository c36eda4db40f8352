"""Account use cases through the composition root on embedded adapters (SQLite, fakes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from domestyx.adapters.system.argon2_hasher import Argon2Parameters, Argon2PasswordHasher
from domestyx.domain.model.accounts import AccountStatus, Role
from domestyx.domain.model.audit import ClientContext
from domestyx.domain.model.errors import (
    InvalidCredentials,
    InvalidInput,
    InvalidToken,
    WeakPassword,
)
from domestyx.domain.model.sessions import Principal
from tests.support.app import DUMMY_TOKEN, PASSWORD, build_services, embedded_settings

CTX = ClientContext(ip="198.51.100.4")


@pytest.fixture
def services(tmp_path: Path) -> Any:
    return build_services(embedded_settings(tmp_path))


def registered(services: Any, email: str = "ann@example.com", phone: str = "+447700900123") -> Any:
    services.accounts.register(email, phone, PASSWORD, Role.WORKER, CTX, token=DUMMY_TOKEN)
    with services.uow() as uow:
        return uow.accounts.by_email(email)


def active(services: Any, email: str = "ann@example.com", phone: str = "+447700900123") -> Any:
    """Registered with both contacts proven: only a proven email signs in, a proven phone too."""
    registered(services, email, phone)
    with services.uow() as uow:
        account = uow.accounts.by_email(email)
        account.verify_email(services.clock.now())
        account.verify_phone(services.clock.now())
        uow.accounts.save(account)
        uow.commit()
    return account


def test_register_creates_a_pending_account_and_queues_an_email_code(services: Any) -> None:
    account = registered(services)
    assert account.status is AccountStatus.PENDING and not account.email_verified
    with services.uow() as uow:
        delivery = uow.deliveries.stale_queued(services.clock.now().replace(year=2100), 10)
    assert [d.destination for d in delivery] == ["ann@example.com"]
    assert delivery[0].sealed_code and delivery[0].sealed_code.isdigit()


def test_register_with_a_taken_email_notifies_the_owner_and_creates_nothing(services: Any) -> None:
    active(services)
    services.accounts.register(
        "ANN@example.com", "+447700900999", PASSWORD, Role.EMPLOYER, CTX, token=DUMMY_TOKEN
    )
    with services.uow() as uow:
        assert uow.accounts.by_phone("+447700900999") is None
        notices = [
            d
            for d in uow.deliveries.stale_queued(services.clock.now().replace(year=2100), 10)
            if d.template.value == "signup_notice"
        ]
    assert len(notices) == 1


@pytest.mark.parametrize("password", ["short", "x" * 129, "        "])
def test_password_length_policy(services: Any, password: str) -> None:
    with pytest.raises(WeakPassword):
        services.accounts.register(
            "b@example.com", "+447700900124", password, Role.WORKER, CTX, token=DUMMY_TOKEN
        )


def test_staff_roles_cannot_be_self_registered(services: Any) -> None:
    with pytest.raises(InvalidInput):
        services.accounts.register(
            "b@example.com", "+447700900124", PASSWORD, Role.ADMIN, CTX, token=DUMMY_TOKEN
        )


def test_login_rehashes_when_parameters_change(tmp_path: Path) -> None:
    weak = build_services(
        embedded_settings(tmp_path), passwords=Argon2PasswordHasher(Argon2Parameters(1, 1024, 1))
    )
    active(weak)
    stronger = build_services(
        embedded_settings(tmp_path), passwords=Argon2PasswordHasher(Argon2Parameters(2, 2048, 1))
    )
    stronger.accounts.login("ann@example.com", PASSWORD, by_phone=False, ctx=CTX)
    with stronger.uow() as uow:
        account = uow.accounts.by_email("ann@example.com")
    assert "m=2048,t=2" in account.password_hash


def test_wrong_password_and_unknown_account_fail_alike(services: Any) -> None:
    active(services)
    for email in ("ann@example.com", "nobody@example.com"):
        with pytest.raises(InvalidCredentials) as caught:
            services.accounts.login(email, "wrong password!", by_phone=False, ctx=CTX)
        assert caught.value.detail == InvalidCredentials().detail


def test_password_change_revokes_every_other_session(services: Any) -> None:
    active(services)
    keep = services.accounts.login("ann@example.com", PASSWORD, by_phone=False, ctx=CTX)
    other = services.accounts.login("+447700900123", PASSWORD, by_phone=True, ctx=CTX)
    me: Principal = services.sessions.authenticate(keep.access_token)
    services.accounts.change_password(me, PASSWORD, "another long passphrase", CTX)
    assert services.sessions.authenticate(keep.access_token).session_id == keep.session_id
    with pytest.raises(InvalidToken):
        services.sessions.authenticate(other.access_token)
    with pytest.raises(InvalidCredentials):
        services.accounts.login("ann@example.com", PASSWORD, by_phone=False, ctx=CTX)


def test_deleting_the_account_erases_contacts_and_signs_out(services: Any) -> None:
    active(services)
    pair = services.accounts.login("ann@example.com", PASSWORD, by_phone=False, ctx=CTX)
    me = services.sessions.authenticate(pair.access_token)
    services.accounts.delete_account(me, CTX)
    with services.uow() as uow:
        account = uow.accounts.get(me.account_id)
    assert account.status is AccountStatus.DELETED and "ann@example.com" not in account.email
    with pytest.raises(InvalidToken):
        services.sessions.authenticate(pair.access_token)
    # The contacts are free again for a new account.
    assert active(services).id != me.account_id
