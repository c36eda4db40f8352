"""Which passwords are accepted: NIST SP 800-63B-4 section 3.1.1.2."""

from __future__ import annotations

import string
import unicodedata
from typing import TYPE_CHECKING

import attrs

from domestyx.domain.model.errors import WeakPassword

if TYPE_CHECKING:
    from domestyx.ports.passwords import PasswordBlocklist

_DECORATION = string.digits + string.punctuation + string.whitespace
_MIN_CONTEXT = 4  # shorter pieces of an email (e.g. "jo@") would refuse too much by chance


@attrs.frozen
class PasswordPolicy:
    """8 to 128 characters, no composition rules, and never a listed or context-specific one.

    One function for every place a password is chosen (register, change, reset, create-admin).
    """

    blocklist: PasswordBlocklist
    min_length: int = 8
    max_length: int = 128
    service_words: tuple[str, ...] = ("domestyx",)

    def check(self, password: str, *, email: str = "", phone: str = "") -> None:
        """Raise WeakPassword (422 `weak-password`) saying why the password is refused."""
        if not self.min_length <= len(password) <= self.max_length or not password.strip():
            raise WeakPassword(
                f"password must be {self.min_length} to {self.max_length} characters",
                field="password",
            )
        folded = unicodedata.normalize("NFKC", password).casefold()
        if self._common(folded):
            raise WeakPassword(
                "password is on a list of common or breached passwords; choose another",
                field="password",
            )
        if any(word in folded for word in self._context(email, phone)):
            raise WeakPassword(
                "password must not contain your email address, your phone number "
                "or the name of the service",
                field="password",
            )

    def _common(self, folded: str) -> bool:
        # A listed password with digits or symbols stuck on either end is still that password.
        core = folded.strip(_DECORATION)
        return (
            len(set(folded)) == 1
            or self.blocklist.is_listed(folded)
            or (bool(core) and self.blocklist.is_listed(core))
        )

    def _context(self, email: str, phone: str) -> list[str]:
        local = email.partition("@")[0].casefold()
        digits = phone.removeprefix("+")
        words = [*self.service_words, email.casefold(), local, digits, digits[-8:]]
        return [w for w in words if len(w) >= _MIN_CONTEXT]
