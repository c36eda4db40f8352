"""argon2id password hashing (argon2-cffi)."""

from __future__ import annotations

import attrs
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


@attrs.frozen
class Argon2Parameters:
    """RFC 9106 second recommendation scaled to a small server: 64 MiB, 3 passes, 1 lane."""

    time_cost: int = 3
    memory_cost_kib: int = 65536
    parallelism: int = 1


TEST_PARAMETERS = Argon2Parameters(time_cost=1, memory_cost_kib=1024, parallelism=1)


class Argon2PasswordHasher:
    """Hashes with argon2id; flags hashes made with other parameters for rehash on login."""

    def __init__(self, parameters: Argon2Parameters | None = None) -> None:
        p = parameters or Argon2Parameters()
        self.parameters = p
        self._hasher = PasswordHasher(
            time_cost=p.time_cost,
            memory_cost=p.memory_cost_kib,
            parallelism=p.parallelism,
            hash_len=32,
            salt_len=16,
            type=Type.ID,
        )

    def hash(self, password: str) -> str:
        """A fresh salted hash."""
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        """False for a mismatch or a malformed hash, never an exception."""
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the parameters changed since the hash was made."""
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True
