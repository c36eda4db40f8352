"""The second factor's technology: TOTP codes and sealing secrets at rest."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class TotpAlgorithm(Protocol):
    """RFC 6238 codes from a base32 secret."""

    def new_secret(self) -> str:
        """A fresh random base32 secret (at least 160 bits)."""
        ...

    def code_at(self, secret: str, step: int) -> str:
        """The code for one time step (the HOTP of that counter)."""
        ...

    def provisioning_uri(self, secret: str, *, account_name: str, issuer: str) -> str:
        """The otpauth:// URI authenticator apps scan."""
        ...


@runtime_checkable
class SecretBox(Protocol):
    """Authenticated encryption of small secrets, bound to a context (the owner's id)."""

    def seal(self, plaintext: str, context: str) -> str:
        """Encrypt; the result is printable."""
        ...

    def open(self, sealed: str, context: str) -> str:
        """Decrypt; raise ValueError when the box was tampered with or the context differs."""
        ...
