"""Password hashing and access-token signing."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from domestyx.domain.model.sessions import AccessClaims


@runtime_checkable
class PasswordHasher(Protocol):
    """Memory-hard password hashing."""

    def hash(self, password: str) -> str:
        """Hash a password with the current parameters."""
        ...

    def verify(self, password_hash: str, password: str) -> bool:
        """True when the password matches; never raises for a mismatch."""
        ...

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other parameters than the current ones."""
        ...


@runtime_checkable
class TokenSigner(Protocol):
    """Signs and checks short-lived access tokens."""

    def sign(self, claims: AccessClaims) -> str:
        """Encode and sign claims."""
        ...

    def verify(self, token: str) -> AccessClaims:
        """Decode and check a token; raise InvalidToken on any defect."""
        ...

    def jwks(self) -> dict[str, Any]:
        """The public keys that verify its tokens, as a JWKS document (RFC 7517)."""
        ...
