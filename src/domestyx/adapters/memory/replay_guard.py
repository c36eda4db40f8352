"""In-memory ReplayGuard for the embedded default and tests (one process only)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta


class InMemoryReplayGuard:
    """Keys with expiry times under one lock; expired keys are swept on each claim."""

    def __init__(self) -> None:
        self._until: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def claim(self, key: str, *, now: datetime, window: timedelta) -> bool:
        """Atomic check-and-set, like Redis SET NX EX."""
        with self._lock:
            self._until = {k: t for k, t in self._until.items() if t > now}
            if key in self._until:
                return False
            self._until[key] = now + window
            return True

    def release(self, key: str) -> None:
        """Forget the key."""
        with self._lock:
            self._until.pop(key, None)
