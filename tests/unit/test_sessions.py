"""Sessions on the in-memory fakes: rotation, grace, reuse, lifetimes, revocation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domestyx.adapters.memory.clock import ManualClock
from domestyx.adapters.memory.randomness import SeededSecretGenerator
from domestyx.adapters.memory.unit_of_work import InMemoryDatabase
from domestyx.adapters.system.jwt_signer import JwtTokenSigner
from domestyx.adapters.system.signing_keys import generate_pem
from domestyx.domain.model.accounts import Account, Role
from domestyx.domain.model.audit import AuditEventType, ClientContext
from domestyx.domain.model.errors import InvalidToken, NotFound
from domestyx.domain.model.keys import KeyedHasher
from domestyx.domain.model.sessions import TokenPair
from domestyx.domain.services.sessions import SessionService
from domestyx.ports.security import TokenSigner
from tests.support.worlds import Fakes, fake_services

CTX = ClientContext(ip="203.0.113.7", user_agent="pytest")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def db() -> InMemoryDatabase:
    return InMemoryDatabase()


@pytest.fixture
def service(db: InMemoryDatabase, clock: ManualClock) -> SessionService:
    fakes = Fakes(clock=clock, db=db, secrets=SeededSecretGenerator(3))
    signer = JwtTokenSigner(
        generate_pem(), issuer="domestyx", audience="domestyx-api", clock=clock, leeway_s=0
    )
    overrides = {TokenSigner: signer, KeyedHasher: KeyedHasher(b"k" * 32)}
    return fake_services(fakes, overrides).sessions


@pytest.fixture
def account(db: InMemoryDatabase, clock: ManualClock) -> Account:
    a = Account(
        id="a" * 32,
        email="ann@example.com",
        phone="+447700900123",
        role=Role.WORKER,
        password_hash="x",
        created_at=clock.now(),
        email_verified_at=clock.now(),  # an unproven email holds no session
    )
    with db() as uow:
        uow.accounts.add(a)
        uow.commit()
    return a


def start(service: SessionService, db: InMemoryDatabase, account: Account) -> TokenPair:
    with db() as uow:
        pair = service.start(uow, account, CTX)
        uow.commit()
    return pair


def test_refresh_rotates_and_the_new_pair_authenticates(
    service: SessionService, db: InMemoryDatabase, account: Account
) -> None:
    first = start(service, db, account)
    second = service.refresh(first.refresh_token, CTX)
    assert second.refresh_token != first.refresh_token and second.session_id == first.session_id
    assert service.authenticate(second.access_token).account_id == account.id


def test_concurrent_refresh_within_grace_gets_the_same_successor(
    service: SessionService, db: InMemoryDatabase, account: Account, clock: ManualClock
) -> None:
    first = start(service, db, account)
    a = service.refresh(first.refresh_token, CTX)
    clock.advance(9)
    b = service.refresh(first.refresh_token, CTX)
    assert a.refresh_token == b.refresh_token


def test_reuse_after_grace_revokes_the_whole_family_and_is_audited(
    service: SessionService, db: InMemoryDatabase, account: Account, clock: ManualClock
) -> None:
    first = start(service, db, account)
    second = service.refresh(first.refresh_token, CTX)
    clock.advance(11)
    with pytest.raises(InvalidToken):
        service.refresh(first.refresh_token, CTX)
    with pytest.raises(InvalidToken):
        service.refresh(second.refresh_token, CTX)
    with pytest.raises(InvalidToken):
        service.authenticate(second.access_token)
    assert [e.event for e in db.state.audit] == [AuditEventType.TOKEN_REUSE]


def test_unknown_or_malformed_refresh_tokens_are_refused_without_side_effects(
    service: SessionService, db: InMemoryDatabase, account: Account
) -> None:
    pair = start(service, db, account)
    for bogus in ("", "rt_nope", "garbage", pair.access_token):
        with pytest.raises(InvalidToken):
            service.refresh(bogus, CTX)
    assert service.refresh(pair.refresh_token, CTX).session_id == pair.session_id


def test_idle_refresh_token_expires(
    service: SessionService, db: InMemoryDatabase, account: Account, clock: ManualClock
) -> None:
    pair = start(service, db, account)
    clock.advance(service.policy.refresh_idle_ttl + timedelta(seconds=1))
    with pytest.raises(InvalidToken):
        service.refresh(pair.refresh_token, CTX)


def test_absolute_lifetime_ends_the_family_even_when_used_daily(
    service: SessionService, db: InMemoryDatabase, account: Account, clock: ManualClock
) -> None:
    pair = start(service, db, account)
    for _ in range(29):
        clock.advance(timedelta(days=1))
        pair = service.refresh(pair.refresh_token, CTX)
    clock.advance(timedelta(days=1, seconds=1))
    with pytest.raises(InvalidToken):
        service.refresh(pair.refresh_token, CTX)


def test_access_tokens_expire_after_fifteen_minutes(
    service: SessionService, db: InMemoryDatabase, account: Account, clock: ManualClock
) -> None:
    pair = start(service, db, account)
    assert pair.expires_in == 900
    import jwt

    claims = jwt.decode(pair.access_token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 900
    assert set(claims) == {"iss", "aud", "sub", "role", "sid", "jti", "iat", "exp", "aal", "amr"}
    assert (claims["aal"], claims["amr"]) == (1, ["pwd"])  # a password-only session


def test_logout_revokes_this_family_only_and_all_revokes_every_family(
    service: SessionService, db: InMemoryDatabase, account: Account
) -> None:
    one, two, three = (start(service, db, account) for _ in range(3))
    service.logout(one.refresh_token, everywhere=False, ctx=CTX)
    with pytest.raises(InvalidToken):
        service.authenticate(one.access_token)
    assert service.authenticate(two.access_token)
    service.logout(two.refresh_token, everywhere=True, ctx=CTX)
    with pytest.raises(InvalidToken):
        service.authenticate(three.access_token)


def test_list_and_revoke_own_sessions_but_not_others(
    service: SessionService, db: InMemoryDatabase, account: Account
) -> None:
    mine, other = start(service, db, account), start(service, db, account)
    me = service.authenticate(mine.access_token)
    views = service.list_sessions(me)
    assert {v.id for v in views} == {mine.session_id, other.session_id}
    assert [v.current for v in views if v.id == mine.session_id] == [True]
    service.revoke_session(me, other.session_id, CTX)
    assert [v.id for v in service.list_sessions(me)] == [mine.session_id]
    with pytest.raises(NotFound):
        service.revoke_session(me, "f" * 32, CTX)


def test_refresh_tokens_are_stored_only_as_keyed_hashes(
    service: SessionService, db: InMemoryDatabase, account: Account
) -> None:
    pair = start(service, db, account)
    stored = repr(db.state.tokens)
    assert pair.refresh_token not in stored and pair.refresh_token.removeprefix("rt_") not in stored


def test_access_token_is_refused_once_expired(
    service: SessionService, db: InMemoryDatabase, account: Account, clock: ManualClock
) -> None:
    pair = start(service, db, account)
    clock.advance(timedelta(minutes=15, seconds=1))
    with pytest.raises(InvalidToken):
        service.authenticate(pair.access_token)
