"""Access and refresh tokens attacked over HTTP: every forgery is a 401 problem with a challenge."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest

from domestyx.adapters.memory.clock import ManualClock
from domestyx.adapters.system.signing_keys import SigningKey, public_pem
from domestyx.entrypoints.services import Services
from tests.support.app import build_services, embedded_settings, http_client
from tests.support.callers import Caller, sign_in, verified_worker
from tests.support.problems import assert_problem
from tests.support.tokens import (
    attacker_key,
    claims_of,
    hmac_token,
    self_signed_rs256,
    signed_token,
    tampered,
    unsigned_token,
    with_signature,
)

pytestmark = pytest.mark.e2e

ME = "/api/v1/me"
JWKS = "/.well-known/jwks.json"
CLAIMS = ("iss", "aud", "sub", "exp", "iat", "jti", "sid", "role")


class World:
    """Two verified workers on one embedded app, and the key the app signs with."""

    def __init__(self, services: Services, client: Any) -> None:
        self.client = client
        self.key = services.settings.keys.jwt_signing_key
        self.kid = SigningKey.from_pem(self.key).kid
        # What an attacker can read: the public key, as PEM and as the raw JWK bytes.
        self.public_pem = public_pem(self.key)
        self.ann = verified_worker(client, services, "ann@example.com", "+447700900301")
        self.bob = verified_worker(client, services, "bob@example.com", "+447700900302")

    def claims(self, **changes: Any) -> dict[str, Any]:
        """Ann's real claims, freshly timed, with changes."""
        now = int(time.time())
        real = claims_of(self.ann.tokens["access_token"])
        return {**real, "iat": now, "exp": now + 600, **changes}

    def sign(self, claims: dict[str, Any]) -> str:
        """Signed with the app's own private key (what only the app can do)."""
        return signed_token(claims, self.key)

    def me(self, token: str) -> Any:
        """GET /me with this bearer token (sent as latin-1, as the wire allows)."""
        return self.client.get(ME, headers={"Authorization": f"Bearer {token}".encode("latin-1")})


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    services = build_services(embedded_settings(Path(tmp_path_factory.mktemp("jwt"))))
    with http_client(services) as client:
        yield World(services, client)


def test_a_token_signed_with_the_real_key_is_accepted(world: World) -> None:
    """The control: the forging helpers make tokens the app accepts when nothing is wrong."""
    token = world.sign(world.claims())
    response = world.me(token)
    assert response.status_code == 200, response.text
    assert response.json()["id"] == world.ann.account_id
    assert jwt.get_unverified_header(token) == {"alg": "EdDSA", "kid": world.kid, "typ": "at+jwt"}


def test_the_app_issues_eddsa_tokens_naming_its_key(world: World) -> None:
    header = jwt.get_unverified_header(world.ann.tokens["access_token"])
    assert (header["alg"], header["kid"]) == ("EdDSA", world.kid)


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_alg_none_is_refused(world: World, alg: str) -> None:
    assert_problem(world.me(unsigned_token(world.claims(), alg=alg, kid=world.kid)), 401)


def test_alg_none_keeping_a_valid_signature_is_refused(world: World) -> None:
    signature = world.sign(world.claims()).split(".")[2]
    forged = with_signature({"alg": "none", "kid": world.kid}, world.claims(), b"") + signature
    assert_problem(world.me(forged), 401)


@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
@pytest.mark.parametrize("form", ["pem", "raw"])
def test_an_hmac_keyed_with_the_public_key_is_refused(world: World, alg: str, form: str) -> None:
    """Key confusion: the public key is public; a verifier must never use it as an HMAC secret."""
    jwk = next(k for k in world.client.get(JWKS).json()["keys"] if k["kid"] == world.kid)
    secret = world.public_pem if form == "pem" else base64.urlsafe_b64decode(jwk["x"] + "==")
    forged = hmac_token(world.claims(), secret, alg=alg, kid=world.kid)
    assert_problem(world.me(forged), 401)


def test_hs256_with_the_old_shared_secret_shape_is_refused(world: World) -> None:
    """HS256 is no longer accepted at all, whatever the secret."""
    assert_problem(world.me(hmac_token(world.claims(), world.key, kid=world.kid)), 401)


@pytest.mark.parametrize("alg", ["RS256", "ES256", "PS256", "EdDSA"])
def test_an_asymmetric_header_over_an_hmac_of_the_public_key_is_refused(
    world: World, alg: str
) -> None:
    """A verifier that picks its algorithm from the header must not be fooled."""
    forged = hmac_token(world.claims(), world.public_pem, alg=alg, digest="HS256", kid=world.kid)
    assert_problem(world.me(forged), 401)


def test_a_token_signed_with_an_embedded_attacker_key_is_refused(world: World) -> None:
    assert_problem(world.me(self_signed_rs256(world.claims(), kid=world.kid)), 401)


def test_a_token_signed_with_an_unknown_key_is_refused(world: World) -> None:
    assert_problem(world.me(signed_token(world.claims(), attacker_key())), 401)


def test_a_token_signed_with_another_key_claiming_the_real_kid_is_refused(world: World) -> None:
    assert_problem(world.me(signed_token(world.claims(), attacker_key(), kid=world.kid)), 401)


def test_a_token_without_a_kid_is_refused(world: World) -> None:
    unnamed = jwt.encode(world.claims(), SigningKey.from_pem(world.key).private, algorithm="EdDSA")
    assert_problem(world.me(unnamed), 401)


@pytest.mark.parametrize("aud", ["domestyx-admin", "", ["other-api"]])
def test_a_token_for_another_audience_is_refused(world: World, aud: Any) -> None:
    assert_problem(world.me(world.sign(world.claims(aud=aud))), 401)


@pytest.mark.parametrize("iss", ["https://evil.example", "", "Domestyx"])
def test_a_token_from_another_issuer_is_refused(world: World, iss: str) -> None:
    assert_problem(world.me(world.sign(world.claims(iss=iss))), 401)


def test_an_expired_token_is_refused(world: World) -> None:
    now = int(time.time())
    expired = world.claims(iat=now - 960, exp=now - 60)
    assert_problem(world.me(world.sign(expired)), 401)


def test_a_token_issued_in_the_future_is_refused(world: World) -> None:
    now = int(time.time())
    future = world.claims(iat=now + 3600, exp=now + 4500)
    assert_problem(world.me(world.sign(future)), 401)


def test_a_role_escalated_in_the_payload_breaks_the_signature(world: World) -> None:
    assert_problem(world.me(tampered(world.ann.tokens["access_token"], role="admin")), 401)


def test_a_subject_swapped_in_the_payload_breaks_the_signature(world: World) -> None:
    forged = tampered(world.ann.tokens["access_token"], sub=world.bob.account_id)
    assert_problem(world.me(forged), 401)


def test_a_signed_token_pairing_one_account_with_another_session_is_refused(world: World) -> None:
    """Even with the key, sub must own sid: the session, not the claim, names the account."""
    assert_problem(world.me(world.sign(world.claims(sub=world.bob.account_id))), 401)


def test_a_signed_role_claim_grants_nothing_the_account_lacks(world: World) -> None:
    """The role comes from the account row, so even a leaked key cannot mint a reviewer."""
    token = world.sign(world.claims(role="admin"))
    queue = world.client.get(
        "/api/v1/admin/verifications", headers={"Authorization": f"Bearer {token}"}
    )
    assert_problem(queue, 403)


@pytest.mark.parametrize("claim", CLAIMS)
def test_a_token_missing_a_claim_is_refused(world: World, claim: str) -> None:
    claims = world.claims()
    del claims[claim]
    assert_problem(world.me(world.sign(claims)), 401)


@pytest.mark.parametrize(
    "token",
    [
        "abc",
        "a.b.c",
        "a.b",
        "....",
        "eyJhbGciOiJIUzI1NiJ9",
        "eyJhbGciOiJIUzI1NiJ9.e30.",
        "null",
        "rt_" + "A" * 43,
        "x" * 5000,
        "é",
    ],
    ids=lambda t: t[:24],
)
def test_garbage_bearer_tokens_are_refused(world: World, token: str) -> None:
    assert_problem(world.me(token), 401)


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer ", "Bearer    ", "bearer", "Basic YW5uOnB3", "Token abc", "Bearerabc"],
)
def test_an_authorization_header_without_a_bearer_token_is_refused(
    world: World, header: str
) -> None:
    assert_problem(world.client.get(ME, headers={"Authorization": header}), 401)


def test_no_authorization_header_is_refused(world: World) -> None:
    assert_problem(world.client.get(ME), 401)


def test_a_valid_token_of_a_session_signed_out_everywhere_is_refused(world: World) -> None:
    tokens = sign_in(world.client, world.bob.email)
    logout = {"refresh_token": tokens["refresh_token"], "all": True}
    assert world.client.post("/api/v1/auth/logout", json=logout).status_code == 204
    assert_problem(world.me(tokens["access_token"]), 401)


class RefreshWorld:
    """A worker on an app whose clock the test moves."""

    def __init__(self, client: Any, clock: ManualClock, worker: Caller) -> None:
        self.client, self.clock, self.worker = client, clock, worker

    def refresh(self, refresh_token: str) -> Any:
        """POST /auth/refresh."""
        return self.client.post("/api/v1/auth/refresh", json={"refresh_token": refresh_token})


@pytest.fixture
def moving(tmp_path: Path) -> Iterator[RefreshWorld]:
    clock = ManualClock(datetime.now(UTC))
    services = build_services(embedded_settings(tmp_path), clock=clock)
    with http_client(services) as client:
        worker = verified_worker(client, services, "rita@example.com", "+447700900303")
        yield RefreshWorld(client, clock, worker)


def test_refresh_reuse_after_the_grace_window_revokes_the_whole_family(
    moving: RefreshWorld,
) -> None:
    first = moving.worker.tokens
    rotated = moving.refresh(first["refresh_token"])
    assert rotated.status_code == 200, rotated.text
    moving.clock.advance(timedelta(seconds=11))

    assert_problem(moving.refresh(first["refresh_token"]), 401)
    assert_problem(moving.refresh(rotated.json()["refresh_token"]), 401)
    headers = {"Authorization": f"Bearer {rotated.json()['access_token']}"}
    assert_problem(moving.client.get(ME, headers=headers), 401)


def test_refresh_reuse_within_the_grace_window_gets_the_same_successor(
    moving: RefreshWorld,
) -> None:
    """Two tabs refreshing at once: both get the successor, nothing is revoked."""
    first = moving.worker.tokens["refresh_token"]
    one, two = moving.refresh(first), moving.refresh(first)
    assert (one.status_code, two.status_code) == (200, 200)
    assert one.json()["refresh_token"] == two.json()["refresh_token"]
    assert moving.refresh(one.json()["refresh_token"]).status_code == 200


def test_refresh_reuse_revokes_only_the_family_it_came_from(moving: RefreshWorld) -> None:
    other_device = sign_in(moving.client, moving.worker.email)
    first = moving.worker.tokens["refresh_token"]
    assert moving.refresh(first).status_code == 200
    moving.clock.advance(timedelta(seconds=11))
    assert_problem(moving.refresh(first), 401)

    headers = {"Authorization": f"Bearer {other_device['access_token']}"}
    assert moving.client.get(ME, headers=headers).status_code == 200
    assert moving.refresh(other_device["refresh_token"]).status_code == 200
