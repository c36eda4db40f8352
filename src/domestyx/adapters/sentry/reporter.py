"""Sentry set-up and the ErrorReporter adapter."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, cast

import sentry_sdk
from sentry_sdk.integrations.dramatiq import DramatiqIntegration
from sentry_sdk.integrations.litestar import LitestarIntegration
from sentry_sdk.integrations.logging import LoggingIntegration

from domestyx.adapters.sentry.scrubber import Scrubber

if TYPE_CHECKING:
    from sentry_sdk._types import LogLevelStr
    from sentry_sdk.integrations import Integration

_LEVELS = frozenset({"fatal", "critical", "error", "warning", "info", "debug"})
_MAX_TAG_KEY = 32
_MAX_TAG_VALUE = 200

_INTEGRATIONS: dict[str, Callable[[], Integration]] = {
    "litestar": LitestarIntegration,
    "dramatiq": DramatiqIntegration,
}


def init_sentry(
    dsn: str,
    *,
    environment: str,
    release: str,
    server_name: str | None = None,
    integrations: Sequence[str] = ("litestar", "dramatiq"),
    traces_sample_rate: float = 0.0,
    pseudonym_key: bytes | None = None,
) -> None:
    """Start reporting to `dsn`; every event and breadcrumb passes the scrubber first.

    Call this before the Dramatiq broker is constructed: DramatiqIntegration patches
    `Broker.__init__` to add its middleware, so a broker built earlier reports nothing.
    Likewise build the Litestar app afterwards, since LitestarIntegration patches its init.
    `pseudonym_key` keys the HMAC that replaces emails and phones; pass one shared secret
    so the web and worker processes agree, otherwise each process draws its own.
    """
    unknown = set(integrations) - _INTEGRATIONS.keys()
    if unknown:
        raise ValueError(f"unknown Sentry integrations: {sorted(unknown)}")
    scrubber = Scrubber(pseudonym_key or secrets.token_bytes(32))
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        server_name=server_name,
        # Warnings and errors become breadcrumbs, never events: errors reach Sentry through the
        # ErrorReporter port and the framework integrations, so each is reported once. Info
        # lines (one access-log line per request) would cost more than they tell.
        integrations=[
            LoggingIntegration(level=logging.WARNING, event_level=None),
            *(_INTEGRATIONS[name]() for name in integrations),
        ],
        traces_sample_rate=traces_sample_rate,
        # send_default_pii is left unset: unset means False in sentry-sdk 2.75, and passing it
        # is deprecated there; passing data_collection instead would disable the SDK's own
        # EventScrubber, which stays on as a second net under ours.
        # Stack traces keep file, function and line, never local variables: a secret in a
        # neutrally named variable can't be scrubbed by name or shape.
        include_local_variables=False,
        before_send=scrubber.before_send,
        # Transactions skip before_send, yet carry URLs, query strings and span data.
        before_send_transaction=scrubber.before_send,
        before_breadcrumb=scrubber.before_breadcrumb,
    )


def attach_request_id(request_id: str) -> None:
    """Tag every event of the current request (its isolation scope) with the request id."""
    sentry_sdk.get_isolation_scope().set_tag("request_id", request_id)


class SentryErrorReporter:
    """ErrorReporter over the initialised Sentry client; context becomes tags, long values extra."""

    def capture_exception(self, exc: BaseException, **context: str) -> None:
        """Report one exception; expected client errors are dropped by the scrubber."""
        with sentry_sdk.new_scope() as scope:
            _apply_context(scope, context)
            scope.capture_exception(exc)

    def capture_message(self, message: str, *, level: str = "error", **context: str) -> None:
        """Report an alert; unknown levels are reported as errors rather than lost."""
        with sentry_sdk.new_scope() as scope:
            _apply_context(scope, context)
            scope.capture_message(message, level=_level(level))


def _apply_context(scope: sentry_sdk.Scope, context: dict[str, str]) -> None:
    for key, value in context.items():
        if len(key) <= _MAX_TAG_KEY and len(value) <= _MAX_TAG_VALUE and "\n" not in value:
            scope.set_tag(key, value)
        else:
            scope.set_extra(key, value)


def _level(level: str) -> LogLevelStr:
    normalized = level.lower()
    return cast("LogLevelStr", normalized if normalized in _LEVELS else "error")
