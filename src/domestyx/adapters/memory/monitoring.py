"""Recording error reporter and heartbeat."""

from __future__ import annotations

import threading


class RecordingErrorReporter:
    """Keeps what would have gone to Sentry."""

    def __init__(self) -> None:
        self.exceptions: list[tuple[BaseException, dict[str, str]]] = []
        self.messages: list[tuple[str, str, dict[str, str]]] = []
        self._lock = threading.Lock()

    def capture_exception(self, exc: BaseException, **context: str) -> None:
        """Record."""
        with self._lock:
            self.exceptions.append((exc, context))

    def capture_message(self, message: str, *, level: str = "error", **context: str) -> None:
        """Record."""
        with self._lock:
            self.messages.append((message, level, context))


class RecordingHeartbeat:
    """Keeps pings and failures per check."""

    def __init__(self) -> None:
        self.pings: list[str] = []
        self.failures: list[tuple[str, str]] = []

    def ping(self, check: str) -> None:
        """Record success."""
        self.pings.append(check)

    def fail(self, check: str, detail: str = "") -> None:
        """Record failure."""
        self.failures.append((check, detail))
