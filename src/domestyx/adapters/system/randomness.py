"""Identifiers and secrets from the operating system's CSPRNG."""

from __future__ import annotations

import secrets
import uuid


class UuidIdGenerator:
    """Random (v4) UUIDs as 32 hex characters."""

    def new_id(self) -> str:
        """A new id."""
        return uuid.uuid4().hex


class CsprngSecretGenerator:
    """`secrets`-backed codes and tokens."""

    def numeric_code(self, digits: int) -> str:
        """Uniform over all `digits`-digit strings, leading zeros included."""
        return f"{secrets.randbelow(10**digits):0{digits}d}"

    def token(self, nbytes: int) -> str:
        """URL-safe token."""
        return secrets.token_urlsafe(nbytes)
