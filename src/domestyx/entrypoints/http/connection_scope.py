"""One database checkout per request: its units of work share one pooled connection."""

from __future__ import annotations

import anyio
import anyio.to_thread
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from domestyx.adapters.sql.unit_of_work import one_connection


class OneConnection:
    """Authentication and the handler's units of work reuse the first one's connection.

    Each still begins and ends its own transaction; only the checkout (and its pre-ping) is
    shared. The connection goes back to the pool when the response is done.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wrap one HTTP request."""
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        with one_connection() as lease:
            try:
                await self.app(scope, receive, send)
            finally:
                if lease.holds():  # returning it may talk to the server: off the event loop
                    with anyio.CancelScope(shield=True):  # even when the client went away
                        await anyio.to_thread.run_sync(lease.release)
