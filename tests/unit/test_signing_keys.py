"""Signing keys and the signer: EdDSA and ES256, key ids, rotation, refusals, settings, CLI."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import attrs
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from domestyx.adapters.memory.clock import ManualClock
from domestyx.adapters.system.jwt_signer import JwtTokenSigner
from domestyx.adapters.system.signing_keys import (
    SigningKey,
    derived_pem,
    generate_pem,
    load_public_keys,
    public_pem,
)
from domestyx.domain.model.accounts import Role
from domestyx.domain.model.errors import InvalidToken
from domestyx.domain.model.sessions import AccessClaims
from domestyx.entrypoints.cli.main import main
from domestyx.entrypoints.local_state import with_local_state
from domestyx.entrypoints.settings import Settings, SettingsError
from tests.support.production_env import GOOD_PRODUCTION
from tests.support.tokens import hmac_token, unsigned_token


def _pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _claims(clock: ManualClock) -> AccessClaims:
    now = int(clock.now().timestamp())
    return AccessClaims(
        sub="acc", role=Role.WORKER, sid="ses", jti="j1", iat=now, exp=now + 900,
        iss="domestyx", aud="domestyx-api",
    )  # fmt: skip


def _signer(clock: ManualClock, key: str, previous: str = "") -> JwtTokenSigner:
    return JwtTokenSigner(
        key, previous_pems=previous, issuer="domestyx", audience="domestyx-api", clock=clock
    )


def test_es256_keys_sign_and_verify_too() -> None:
    clock = ManualClock()
    key = _pem(ec.generate_private_key(ec.SECP256R1()))
    signer = _signer(clock, key)
    token = signer.sign(_claims(clock))
    assert jwt.get_unverified_header(token)["alg"] == "ES256"
    assert signer.verify(token).sub == "acc"
    (jwk,) = signer.jwks()["keys"]
    assert (jwk["kty"], jwk["crv"], jwk["alg"]) == ("EC", "P-256", "ES256")


@pytest.mark.parametrize(
    "pem",
    [
        "j" * 48,
        "",
        _pem(rsa.generate_private_key(public_exponent=65537, key_size=2048)),
        _pem(ec.generate_private_key(ec.SECP384R1())),
        public_pem(generate_pem()),
    ],
    ids=["secret", "empty", "rsa", "p384", "public-only"],
)
def test_only_an_ed25519_or_p256_private_key_signs(pem: str) -> None:
    with pytest.raises(ValueError, match="key"):
        SigningKey.from_pem(pem)


def test_the_key_id_is_the_rfc7638_thumbprint() -> None:
    """RFC 7638 section 3.1's method over the Ed25519 example of RFC 8037 appendix A.3."""
    seed = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    assert (
        SigningKey.from_pem(derived_pem(seed)).kid == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    )


def test_a_pem_with_escaped_newlines_loads() -> None:
    pem = generate_pem()
    assert SigningKey.from_pem(pem.replace("\n", "\\n")).kid == SigningKey.from_pem(pem).kid


def test_previous_keys_may_be_several_public_or_private_pems() -> None:
    one, two = generate_pem(), generate_pem()
    keys = load_public_keys(public_pem(one) + "\n" + two)
    assert [k.kid for k in keys] == [SigningKey.from_pem(one).kid, SigningKey.from_pem(two).kid]
    with pytest.raises(ValueError, match="PEM"):
        load_public_keys("not a key")


def test_a_previous_key_verifies_until_expiry_and_never_signs() -> None:
    clock = ManualClock()
    old, new = generate_pem(), generate_pem()
    token = _signer(clock, old).sign(_claims(clock))
    rotated = _signer(clock, new, previous=public_pem(old))
    assert rotated.verify(token).sub == "acc"
    assert jwt.get_unverified_header(rotated.sign(_claims(clock)))["kid"] == rotated.kid
    clock.advance(timedelta(seconds=906))
    with pytest.raises(InvalidToken):
        rotated.verify(token)
    with pytest.raises(InvalidToken):
        _signer(ManualClock(), new).verify(token)


def test_confused_algorithms_are_refused_even_naming_the_real_key() -> None:
    clock = ManualClock()
    key = generate_pem()
    signer = _signer(clock, key)
    payload = {**attrs.asdict(_claims(clock)), "role": "worker"}
    raw_public = public_pem(key)
    for forged in (
        hmac_token(payload, raw_public, kid=signer.kid),
        hmac_token(payload, raw_public, alg="EdDSA", digest="HS256", kid=signer.kid),
        unsigned_token(payload, kid=signer.kid),
    ):
        with pytest.raises(InvalidToken):
            signer.verify(forged)


def test_claims_round_trip_every_model_field() -> None:
    clock = ManualClock()
    signer = _signer(clock, generate_pem())
    claims = _claims(clock)
    assert signer.verify(signer.sign(claims)) == claims


def test_the_embedded_default_derives_a_stable_key_without_a_file(tmp_path: Path) -> None:
    first = with_local_state(Settings.from_env({"DOMESTYX_VAR_DIR": str(tmp_path)})).keys
    second = with_local_state(Settings.from_env({"DOMESTYX_VAR_DIR": str(tmp_path)})).keys
    assert first.jwt_signing_key == second.jwt_signing_key
    assert SigningKey.from_pem(first.jwt_signing_key).alg == "EdDSA"
    assert not list(tmp_path.glob("jwt*"))


@pytest.mark.parametrize("value", ["j" * 48, public_pem(generate_pem()), "-----BEGIN x"])
def test_production_refuses_a_signing_key_that_is_not_a_private_pem(value: str) -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_env({**GOOD_PRODUCTION, "JWT_SIGNING_KEY": value})
    assert any(p.startswith("JWT_SIGNING_KEY") for p in info.value.problems)


def test_production_refuses_unreadable_previous_keys() -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_env({**GOOD_PRODUCTION, "JWT_PREVIOUS_SIGNING_KEYS": "old-secret"})
    assert any(p.startswith("JWT_PREVIOUS_SIGNING_KEYS") for p in info.value.problems)


def test_production_accepts_a_generated_key() -> None:
    settings = Settings.from_env({**GOOD_PRODUCTION, "JWT_SIGNING_KEY": generate_pem()})
    assert settings.is_production


def test_keys_generate_prints_a_usable_key_without_settings(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOMESTYX_ENV", "production")  # nothing else set: settings would fail
    assert main(["keys", "generate"]) == 0
    printed = capsys.readouterr().out
    assert SigningKey.from_pem(printed).alg == "EdDSA"
    assert printed.startswith("-----BEGIN PRIVATE KEY-----")
