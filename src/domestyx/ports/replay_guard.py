"""Remembering what was already seen, for as long as a replay could still be accepted."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable


@runtime_checkable
class ReplayGuard(Protocol):
    """A set of keys that forget themselves after a window; claiming is atomic."""

    def claim(self, key: str, *, now: datetime, window: timedelta) -> bool:
        """True for the first claim of `key` within `window` of `now`; False for later ones."""
        ...

    def release(self, key: str) -> None:
        """Forget a claim whose work failed, so the provider's retry is not taken for a replay."""
        ...
