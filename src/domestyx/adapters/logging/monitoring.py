"""Embedded-default ErrorReporter and Heartbeat: write to the log, send nothing."""

from __future__ import annotations

import logging

log = logging.getLogger("domestyx.monitoring")


class LoggingErrorReporter:
    """Logs what production would send to Sentry."""

    def capture_exception(self, exc: BaseException, **context: str) -> None:
        """Log with the traceback."""
        log.error("unexpected error", exc_info=exc, extra={"context": context})

    def capture_message(self, message: str, *, level: str = "error", **context: str) -> None:
        """Log at the given level."""
        log.log(logging.getLevelName(level.upper()), message, extra={"context": context})


class LoggingHeartbeat:
    """Logs pings that production would send to the uptime monitor."""

    def ping(self, check: str) -> None:
        """Log success."""
        log.debug("heartbeat", extra={"check": check})

    def fail(self, check: str, detail: str = "") -> None:
        """Log failure."""
        log.warning("heartbeat failure", extra={"check": check, "detail": detail})
