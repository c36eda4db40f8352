"""Keyed hashing and key derivation (stdlib hmac): how secrets are stored, never in the clear."""

from __future__ import annotations

import base64
import hashlib
import hmac

import attrs


def derive_key(master: bytes, label: str) -> bytes:
    """Derive an independent 32-byte key for one purpose (HKDF-Expand, single block)."""
    return hmac.new(master, label.encode() + b"\x01", hashlib.sha256).digest()


@attrs.frozen
class KeyedHasher:
    """HMAC-SHA256 over `|`-joined parts; the only form in which codes and tokens are stored."""

    key: bytes = attrs.field(repr=False)

    def digest(self, *parts: str) -> str:
        """Hex HMAC of the parts joined by `|`."""
        message = "|".join(parts).encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()

    def token(self, *parts: str) -> str:
        """URL-safe HMAC of the parts, used to derive a bearer secret deterministically."""
        message = "|".join(parts).encode()
        raw = hmac.new(self.key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    def matches(self, expected_hex: str, *parts: str) -> bool:
        """Constant-time comparison of a stored digest with the digest of the parts."""
        return hmac.compare_digest(expected_hex.encode(), self.digest(*parts).encode())


@attrs.frozen
class CodeSealer:
    """Seal a numeric code for the outbox: code + PRF(key, nonce) mod 10^n, so rows hold no code."""

    key: bytes = attrs.field(repr=False)

    def _pad(self, nonce: str, digits: int) -> int:
        raw = hmac.new(self.key, nonce.encode(), hashlib.sha256).digest()
        modulus: int = 10**digits
        return int.from_bytes(raw, "big") % modulus

    def seal(self, code: str, nonce: str) -> str:
        """Return the sealed form of a digit string, bound to a unique nonce."""
        digits = len(code)
        return f"{(int(code) + self._pad(nonce, digits)) % 10**digits:0{digits}d}"

    def unseal(self, sealed: str, nonce: str) -> str:
        """Invert `seal` for the same nonce."""
        digits = len(sealed)
        return f"{(int(sealed) - self._pad(nonce, digits)) % 10**digits:0{digits}d}"
