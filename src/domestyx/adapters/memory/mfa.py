"""In-memory TOTP credentials and recovery codes, plus fakes of the TOTP and sealing ports."""

from __future__ import annotations

import copy
import hashlib
import itertools
from collections.abc import Sequence
from datetime import datetime

import attrs

from domestyx.domain.model.mfa import RecoveryCode, TotpCredential


@attrs.define
class MfaTables:
    """The two tables of the fake database."""

    totp: dict[str, TotpCredential] = attrs.Factory(dict)
    recovery: dict[str, RecoveryCode] = attrs.Factory(dict)


class MemoryMfaRepository:
    """Credentials by account; recovery codes by id."""

    def __init__(self, tables: MfaTables) -> None:
        self._t = tables

    def totp(self, account_id: str, *, for_update: bool = False) -> TotpCredential | None:
        """By account."""
        return copy.deepcopy(self._t.totp.get(account_id))

    def save_totp(self, credential: TotpCredential) -> None:
        """Upsert."""
        self._t.totp[credential.account_id] = copy.deepcopy(credential)

    def replace_recovery_codes(self, account_id: str, codes: Sequence[RecoveryCode]) -> None:
        """Replace the account's codes."""
        for code_id in [k for k, v in self._t.recovery.items() if v.account_id == account_id]:
            del self._t.recovery[code_id]
        self._t.recovery.update({code.id: copy.deepcopy(code) for code in codes})

    def use_recovery_code(self, account_id: str, code_hash: str, at: datetime) -> bool:
        """Spend once."""
        for code in self._t.recovery.values():
            if code.account_id == account_id and code.code_hash == code_hash and not code.used_at:
                code.used_at = at
                return True
        return False


@attrs.define
class SequentialTotp:
    """Deterministic secrets and codes (a hash of secret and step) for domain tests."""

    _numbers: itertools.count[int] = attrs.Factory(itertools.count)

    def new_secret(self) -> str:
        """SECRET0..., padded to base32 length."""
        return f"SECRET{next(self._numbers)}".ljust(32, "A")

    def code_at(self, secret: str, step: int) -> str:
        """Six digits derived from the secret and the step."""
        digest = hashlib.sha256(f"{secret}|{step}".encode()).digest()
        return f"{int.from_bytes(digest[:4], 'big') % 1_000_000:06d}"

    def provisioning_uri(self, secret: str, *, account_name: str, issuer: str) -> str:
        """An otpauth URI of the usual shape."""
        return f"otpauth://totp/{issuer}:{account_name}?secret={secret}&issuer={issuer}"


class ReversingSecretBox:
    """Not encryption: a visible, context-bound transform so tests can see the secret is sealed."""

    def seal(self, plaintext: str, context: str) -> str:
        """Reverse and tag with the context."""
        return f"sealed:{context}:{plaintext[::-1]}"

    def open(self, sealed: str, context: str) -> str:
        """Undo `seal`; another context is refused like a failed tag."""
        prefix = f"sealed:{context}:"
        if not sealed.startswith(prefix):
            raise ValueError("the sealed secret does not belong to this context")
        return sealed[len(prefix) :][::-1]
