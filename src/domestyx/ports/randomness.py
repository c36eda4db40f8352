"""Identifiers and secrets as ports: the domain never calls a random source itself."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class IdGenerator(Protocol):
    """Makes unique, unguessable identifiers."""

    def new_id(self) -> str:
        """A new identifier (32 lowercase hex characters)."""
        ...


@runtime_checkable
class SecretGenerator(Protocol):
    """Makes secrets from a CSPRNG."""

    def numeric_code(self, digits: int) -> str:
        """A uniformly random code of exactly `digits` decimal digits."""
        ...

    def token(self, nbytes: int) -> str:
        """A URL-safe random token carrying `nbytes` of entropy."""
        ...
