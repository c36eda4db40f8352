"""AES-256-GCM (cryptography) for secrets at rest, bound to their owner by the associated data."""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = "v1"
_NONCE = 12  # bytes; random per seal, so one key never reuses a nonce in practice


class AesGcmSecretBox:
    """`v1.` + base64url(nonce || ciphertext || tag); the context (account id) is the AAD."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the sealing key must be 32 bytes")
        self._aead = AESGCM(key)

    def seal(self, plaintext: str, context: str) -> str:
        """Encrypt with a fresh nonce."""
        nonce = os.urandom(_NONCE)
        sealed = nonce + self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        return f"{_VERSION}.{base64.urlsafe_b64encode(sealed).decode()}"

    def open(self, sealed: str, context: str) -> str:
        """Decrypt; a wrong key, context or any flipped bit is ValueError."""
        version, _, body = sealed.partition(".")
        if version != _VERSION:
            raise ValueError("unknown sealed-secret version")
        raw = base64.urlsafe_b64decode(body)
        try:
            return self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], context.encode()).decode()
        except InvalidTag as exc:
            raise ValueError("the sealed secret does not open with this key and context") from exc
