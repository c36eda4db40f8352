"""Hand-made JWTs for the token tests: any header, any claims, any key, any signature."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from domestyx.adapters.system.signing_keys import SigningKey, generate_pem

_DIGESTS = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}


def b64url(data: bytes) -> str:
    """Unpadded base64url, as JWS uses it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def claims_of(token: str) -> dict[str, Any]:
    """The payload of a token, unverified."""
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def with_signature(header: dict[str, Any], claims: dict[str, Any], signature: bytes) -> str:
    """header.payload.signature exactly as given."""
    return f"{_segment(header)}.{_segment(claims)}.{b64url(signature)}"


def signed_token(claims: dict[str, Any], private_pem: str, *, kid: str | None = None) -> str:
    """Signed as the app signs (the key's own alg), naming `kid` (default: the key's own id)."""
    key = SigningKey.from_pem(private_pem)
    headers = {"typ": "at+jwt", "kid": key.kid if kid is None else kid}
    return jwt.encode(claims, key.private, algorithm=key.alg, headers=headers)


def attacker_key() -> str:
    """A fresh private key PEM the app has never seen."""
    return generate_pem()


def hmac_token(
    claims: dict[str, Any],
    key: str | bytes,
    *,
    alg: str = "HS256",
    digest: str | None = None,
    kid: str | None = None,
) -> str:
    """An HMAC-signed token whose header says `alg` and whose MAC uses `digest` (default: alg's)."""
    header = {"alg": alg, "typ": "at+jwt", **({"kid": kid} if kid is not None else {})}
    signing_input = f"{_segment(header)}.{_segment(claims)}".encode()
    secret = key.encode() if isinstance(key, str) else key
    mac = hmac.new(secret, signing_input, _DIGESTS[digest or alg]).digest()
    return f"{signing_input.decode()}.{b64url(mac)}"


def unsigned_token(claims: dict[str, Any], *, alg: str = "none", kid: str | None = None) -> str:
    """The `alg: none` attack: an empty signature."""
    header = {"alg": alg, "typ": "JWT", **({"kid": kid} if kid is not None else {})}
    return with_signature(header, claims, b"")


def tampered(token: str, **changes: Any) -> str:
    """The same header and signature over changed claims."""
    header_segment, _, signature = token.split(".")
    payload = _segment({**claims_of(token), **changes})
    return f"{header_segment}.{payload}.{signature}"


def self_signed_rs256(claims: dict[str, Any], *, kid: str | None = None) -> str:
    """RS256 with the attacker's own key, its public half embedded as a `jwk` header."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_jwk = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    headers = {"jwk": public_jwk, **({"kid": kid} if kid is not None else {})}
    return jwt.encode(claims, private, algorithm="RS256", headers=headers)
