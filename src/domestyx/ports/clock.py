"""Time as a port, so policies are testable without sleeping."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """Tells the current time."""

    def now(self) -> datetime:
        """Current time, timezone-aware UTC."""
        ...
