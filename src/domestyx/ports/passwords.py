"""Passwords people must not choose: a maintained list of common and breached ones."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class PasswordBlocklist(Protocol):
    """Membership in a list of common or breached passwords."""

    def is_listed(self, password: str) -> bool:
        """Whether the (already case-folded) password is on the list."""
        ...
