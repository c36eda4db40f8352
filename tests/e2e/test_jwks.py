"""Access tokens other services verify from the published JWKS alone, across a key rotation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import jwt
import pytest

from domestyx.adapters.memory.clock import ManualClock
from domestyx.adapters.system.signing_keys import SigningKey, generate_pem, public_pem
from domestyx.entrypoints.services import Services
from domestyx.entrypoints.settings import Settings
from tests.support.app import build_services, embedded_settings, http_client
from tests.support.callers import sign_in, verified_worker
from tests.support.problems import assert_problem
from tests.support.tokens import claims_of, signed_token

pytestmark = pytest.mark.e2e

JWKS = "/.well-known/jwks.json"
ME = "/api/v1/me"


def verify_from_jwks(jwks: dict[str, Any], token: str) -> dict[str, Any]:
    """What another DomestyX service does (docs/api.md): no secret, only the public document."""
    key = jwt.PyJWKSet.from_dict(jwks)[jwt.get_unverified_header(token)["kid"]]
    claims: dict[str, Any] = jwt.decode(
        token, key, algorithms=["EdDSA", "ES256"], audience="domestyx-api", issuer="domestyx"
    )
    return claims


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@attrs.define
class Deployment:
    """One running app on a shared database; the test moves the shared clock."""

    services: Services
    client: Any

    def me(self, token: str) -> Any:
        return self.client.get(ME, headers=bearer(token))


class Rotation:
    """Apps of one database, started with different keys, as successive deploys would be."""

    def __init__(self, tmp_path: Path) -> None:
        self.clock = ManualClock(datetime.now(UTC))
        self.tmp_path = tmp_path
        self.old_key, self.new_key = generate_pem(), generate_pem()
        self._stack: list[Any] = []

    def deploy(self, key: str, previous: str = "") -> Deployment:
        settings: Settings = embedded_settings(
            self.tmp_path, JWT_SIGNING_KEY=key, JWT_PREVIOUS_SIGNING_KEYS=previous
        )
        services = build_services(settings, clock=self.clock)
        context = http_client(services)
        self._stack.append(context)
        return Deployment(services, context.__enter__())

    def close(self) -> None:
        for context in reversed(self._stack):
            context.__exit__(None, None, None)


@pytest.fixture
def rotation(tmp_path: Path) -> Iterator[Rotation]:
    world = Rotation(tmp_path)
    try:
        yield world
    finally:
        world.close()


def test_an_access_token_verifies_with_only_the_public_jwks(tmp_path: Path) -> None:
    services = build_services(embedded_settings(tmp_path))
    with http_client(services) as client:
        worker = verified_worker(client, services, "ann@example.com", "+447700900311")
        response = client.get(JWKS)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        cache = response.headers["cache-control"]
        assert "public" in cache and "max-age=300" in cache
        jwks = response.json()

    claims = verify_from_jwks(jwks, worker.tokens["access_token"])
    assert claims["sub"] == worker.account_id and claims["role"] == "worker"
    (key,) = jwks["keys"]
    assert key.keys() == {"kty", "crv", "x", "kid", "alg", "use"}  # no private member ("d")
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")


def test_the_refresh_token_stays_opaque(tmp_path: Path) -> None:
    services = build_services(embedded_settings(tmp_path))
    with http_client(services) as client:
        worker = verified_worker(client, services, "opa@example.com", "+447700900312")
    refresh = worker.tokens["refresh_token"]
    assert refresh.startswith("rt_") and refresh.count(".") == 0


def test_rotation_keeps_old_tokens_until_they_expire(rotation: Rotation) -> None:
    before = rotation.deploy(rotation.old_key)
    worker = verified_worker(before.client, before.services, "rot@example.com", "+447700900313")
    old_token = worker.tokens["access_token"]
    old_kid = SigningKey.from_pem(rotation.old_key).kid

    after = rotation.deploy(rotation.new_key, previous=public_pem(rotation.old_key))
    jwks = after.client.get(JWKS).json()
    new_kid = SigningKey.from_pem(rotation.new_key).kid
    assert [k["kid"] for k in jwks["keys"]] == [new_kid, old_kid]  # current first
    assert after.me(old_token).status_code == 200
    assert verify_from_jwks(jwks, old_token)["sub"] == worker.account_id

    new_tokens = sign_in(after.client, worker.email)
    assert jwt.get_unverified_header(new_tokens["access_token"])["kid"] == new_kid
    assert after.me(new_tokens["access_token"]).status_code == 200

    rotation.clock.advance(timedelta(minutes=15, seconds=6))  # the old token's lifetime
    assert_problem(after.me(old_token), 401)
    assert after.me(sign_in(after.client, worker.email)["access_token"]).status_code == 200


def test_a_token_of_a_removed_key_is_refused(rotation: Rotation) -> None:
    """Once the old key leaves JWT_PREVIOUS_SIGNING_KEYS, even an unexpired token of it fails."""
    before = rotation.deploy(rotation.old_key)
    worker = verified_worker(before.client, before.services, "rem@example.com", "+447700900314")
    claims = claims_of(worker.tokens["access_token"])
    still_valid = signed_token(claims, rotation.old_key)

    during = rotation.deploy(rotation.new_key, previous=public_pem(rotation.old_key))
    assert during.me(still_valid).status_code == 200  # the control

    finished = rotation.deploy(rotation.new_key)
    assert_problem(finished.me(still_valid), 401)
    jwks = finished.client.get(JWKS).json()
    assert [k["kid"] for k in jwks["keys"]] == [SigningKey.from_pem(rotation.new_key).kid]
    with pytest.raises(KeyError):
        verify_from_jwks(jwks, still_valid)


def test_a_previous_private_key_is_published_only_as_its_public_half(rotation: Rotation) -> None:
    """An operator may paste the old private PEM; only its public JWK is ever served."""
    deployment = rotation.deploy(rotation.new_key, previous=rotation.old_key)
    text = deployment.client.get(JWKS).text
    assert '"d"' not in text and "PRIVATE" not in text
    assert len(deployment.client.get(JWKS).json()["keys"]) == 2
