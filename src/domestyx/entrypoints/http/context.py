"""Per-request context (request id, account id) shared with logs and error reports."""

from __future__ import annotations

import contextvars

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_account_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("account_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being served, if any."""
    return _request_id.get()


def set_request_id(value: str | None) -> contextvars.Token[str | None]:
    """Bind a request id to the current context."""
    return _request_id.set(value)


def reset_request_id(token: contextvars.Token[str | None]) -> None:
    """Unbind after the request."""
    _request_id.reset(token)


def current_account_id() -> str | None:
    """The authenticated account of the request, if known."""
    return _account_id.get()


def set_account_id(value: str | None) -> None:
    """Record the authenticated account for the access log."""
    _account_id.set(value)
