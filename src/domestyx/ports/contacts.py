"""Canonical contacts: the one spelling of an email or a phone that is stored and keyed."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class ContactCanonicalizer(Protocol):
    """Reads what a person typed; raises InvalidInput for anything that is not a contact."""

    def email(self, raw: str) -> str:
        """The canonical address: NFC, lower-cased local part, IDNA (ASCII) domain."""
        ...

    def phone(self, raw: str) -> str:
        """The canonical number: E.164 in ASCII digits, refused when impossible."""
        ...

    def calling_code(self, phone: str) -> str:
        """The country calling code of a canonical number, as '+NN'."""
        ...
