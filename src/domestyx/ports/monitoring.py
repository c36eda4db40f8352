"""Error reporting and heartbeats."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class ErrorReporter(Protocol):
    """Sends unexpected failures and alerts to the on-call tooling."""

    def capture_exception(self, exc: BaseException, **context: str) -> None:
        """Report an exception with non-secret context."""
        ...

    def capture_message(self, message: str, *, level: str = "error", **context: str) -> None:
        """Report an alert that is not an exception."""
        ...


@runtime_checkable
class Heartbeat(Protocol):
    """Tells the uptime monitor that a process or scheduled job is alive."""

    def ping(self, check: str) -> None:
        """Report success for `check`."""
        ...

    def fail(self, check: str, detail: str = "") -> None:
        """Report failure for `check`."""
        ...
