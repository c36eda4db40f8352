"""Access-token keys: Ed25519 (EdDSA) or P-256 (ES256) PEMs, their JWKs and RFC 7638 key ids."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any

import attrs
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey
VerifyingKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey
_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z ]+)-----.+?-----END \1-----", re.DOTALL)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unescape(text: str) -> str:
    """Dashboards that keep one-line values store PEM newlines as a literal backslash-n."""
    return text.replace("\\n", "\n").strip()


@attrs.frozen
class PublicKey:
    """A verifying key with its algorithm and key id."""

    key: VerifyingKey
    alg: str
    kid: str

    @classmethod
    def of(cls, key: Any) -> PublicKey:
        """Wrap a public key object; only Ed25519 and P-256 are accepted."""
        members = _members(key)
        canonical = json.dumps(members, sort_keys=True, separators=(",", ":")).encode()
        alg = "EdDSA" if members["kty"] == "OKP" else "ES256"
        return cls(key=key, alg=alg, kid=_b64(hashlib.sha256(canonical).digest()))

    def jwk(self) -> dict[str, str]:
        """The public JWK, as published at /.well-known/jwks.json."""
        return {**_members(self.key), "kid": self.kid, "alg": self.alg, "use": "sig"}


@attrs.frozen
class SigningKey:
    """The private key new tokens are signed with."""

    private: PrivateKey
    public: PublicKey

    @property
    def kid(self) -> str:
        """The key id of the public half."""
        return self.public.kid

    @property
    def alg(self) -> str:
        """EdDSA or ES256, from the key type."""
        return self.public.alg

    @classmethod
    def from_pem(cls, pem: str) -> SigningKey:
        """Load a PKCS#8 (or SEC1) private key PEM; anything else is a ValueError."""
        try:
            private = serialization.load_pem_private_key(_unescape(pem).encode(), password=None)
        except (ValueError, TypeError) as exc:
            raise ValueError("the signing key is not an unencrypted private key PEM") from exc
        if not isinstance(private, PrivateKey):
            # One error type for every unusable key: callers report them all the same way.
            raise ValueError("the signing key must be Ed25519 or P-256")  # noqa: TRY004
        return cls(private=private, public=PublicKey.of(private.public_key()))


def _members(key: Any) -> dict[str, str]:
    """The RFC 7638 required members of a public JWK (also the thumbprint's input)."""
    if isinstance(key, ed25519.Ed25519PublicKey):
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"crv": "Ed25519", "kty": "OKP", "x": _b64(raw)}
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        numbers = key.public_numbers()
        return {
            "crv": "P-256",
            "kty": "EC",
            "x": _b64(numbers.x.to_bytes(32, "big")),
            "y": _b64(numbers.y.to_bytes(32, "big")),
        }
    raise ValueError("only Ed25519 and P-256 keys sign access tokens")


def load_public_keys(text: str) -> list[PublicKey]:
    """Every PEM block in `text` (public keys, or private keys whose public half is kept)."""
    keys = []
    for match in _PEM_BLOCK.finditer(_unescape(text)):
        block = match.group(0).encode()
        if "PRIVATE" in match.group(1):
            keys.append(SigningKey.from_pem(block.decode()).public)
        else:
            keys.append(PublicKey.of(serialization.load_pem_public_key(block)))
    if text.strip() and not keys:
        raise ValueError("no PEM key found")
    return keys


def generate_pem() -> str:
    """A new Ed25519 private key as PKCS#8 PEM (`domestyx keys generate`)."""
    return _pem(ed25519.Ed25519PrivateKey.generate())


def derived_pem(seed: bytes) -> str:
    """The embedded default's key, derived from its secret: stable across restarts, no file."""
    return _pem(ed25519.Ed25519PrivateKey.from_private_bytes(seed[:32]))


def public_pem(private_pem: str) -> str:
    """The public half of a private key PEM (for JWT_PREVIOUS_SIGNING_KEYS)."""
    public = SigningKey.from_pem(private_pem).private.public_key()
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def _pem(key: PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
