"""Sentry set-up and the ErrorReporter adapter."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, cast

import sentry_sdk
from sentry_sdk.integrations.atexit import AtexitIntegration
from sentry_sdk.integrations.dedupe import DedupeIntegration
from sentry_sdk.integrations.dramatiq import DramatiqIntegration
from sentry_sdk.integrations.excepthook import ExcepthookIntegration
from sentry_sdk.integrations.litestar import LitestarIntegration
from sentry_sdk.integrations.logging import LoggingIntegration
from sentry_sdk.integrations.modules import ModulesIntegration
from sentry_sdk.integrations.threading import ThreadingIntegration

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
    integrations: Sequence[str] = ("dramatiq",),
    traces_sample_rate: float = 0.0,
    pseudonym_key: bytes | None = None,
) -> None:
    """Start reporting to `dsn`; every event (its breadcrumbs included) passes the scrubber first.

    Only the integrations listed here run: none of the SDK's auto-enabled ones (SQLAlchemy,
    Redis, httpx, boto3...), which add a breadcrumb or a span to every call on the request path
    and were only ever thrown away. "litestar" is for tracing: it opens a transaction, parses the
    body and wraps every middleware in a span on every request, so with traces off the app
    reports its own unhandled errors (`problems.unexpected_error`) and `request_scope` gives
    each request its isolation scope instead.

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
        # A fixed list: what is not named here costs nothing per request.
        default_integrations=False,
        auto_enabling_integrations=False,
        integrations=[
            # Warnings and errors become breadcrumbs, never events: errors reach Sentry through
            # the ErrorReporter port, so each is reported once. Info lines (one access-log line
            # per request) would cost more than they tell.
            LoggingIntegration(level=logging.WARNING, event_level=None),
            # Once per event or per process, never per request: duplicates dropped, crashes of
            # threads and of the process reported, queued events flushed at exit, versions.
            DedupeIntegration(),
            # No scope copies per thread-pool submit (two forks per offloaded call): Litestar's
            # sync_to_thread already runs each handler in a copy of the request's context, and
            # Sentry's scopes are context variables. Crashes of threads are still reported.
            ThreadingIntegration(propagate_scope=False),
            ExcepthookIntegration(),
            AtexitIntegration(),
            ModulesIntegration(),
            *(_INTEGRATIONS[name]() for name in integrations),
        ],
        traces_sample_rate=traces_sample_rate,
        # send_default_pii is left unset: unset means False in sentry-sdk 2.75, and passing it
        # is deprecated there; passing data_collection instead would disable the SDK's own
        # EventScrubber, which stays on as a second net under ours.
        # Stack traces keep file, function and line, never local variables: a secret in a
        # neutrally named variable can't be scrubbed by name or shape.
        include_local_variables=False,
        # Scrubbed once per event, after the SDK serialised it and attached the breadcrumbs, so
        # every string that can leave the process passes here; breadcrumbs that are never sent
        # (nearly all of them) cost no scrubbing.
        before_send=scrubber.before_send,
        # Transactions skip before_send, yet carry URLs, query strings and span data.
        before_send_transaction=scrubber.before_send,
    )


def attach_request_id(request_id: str) -> None:
    """Tag every event of the current request (its isolation scope) with the request id."""
    sentry_sdk.get_isolation_scope().set_tag("request_id", request_id)


@contextmanager
def request_scope(request_id: str) -> Iterator[None]:
    """One isolation scope per request, tagged with its id, so no tag or breadcrumb leaks across."""
    with sentry_sdk.isolation_scope():
        attach_request_id(request_id)
        yield


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
