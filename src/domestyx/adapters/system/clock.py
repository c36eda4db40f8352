"""The real clock."""

from __future__ import annotations

from datetime import UTC, datetime


class SystemClock:
    """UTC wall-clock time."""

    def now(self) -> datetime:
        """Now, aware UTC."""
        return datetime.now(UTC)
