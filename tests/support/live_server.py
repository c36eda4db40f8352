"""The app under uvicorn on loopback, in a thread: a real TCP peer, so proxy trust is exercised.

Litestar's TestClient reports its peer as the host name 'testclient', which no TRUSTED_PROXIES
entry can match; behind this server the peer is 127.0.0.1, as a reverse proxy on the same host
would be, and X-Forwarded-For is believed only because the settings trust that address.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn

from domestyx.entrypoints.http.app import create_app
from domestyx.entrypoints.services import Services
from tests.support.services import free_port, wait_until

LOOPBACK_PROXY = "127.0.0.1/32"


class ForwardingClient:
    """An HTTP client that plays the trusted proxy: every request carries X-Forwarded-For."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def post(self, path: str, *, ip: str, json: Any) -> httpx.Response:
        """POST as if the proxy had seen `ip` connect."""
        return self.http.post(path, json=json, headers={"X-Forwarded-For": ip})

    def get(self, path: str, *, ip: str, **kwargs: Any) -> httpx.Response:
        """GET as if the proxy had seen `ip` connect."""
        headers = {"X-Forwarded-For": ip, **kwargs.pop("headers", {})}
        return self.http.get(path, headers=headers, **kwargs)


@contextmanager
def live_server(services: Services, **app_kwargs: Any) -> Iterator[ForwardingClient]:
    """Serve the real app on a free loopback port until the block ends."""
    port = free_port()
    config = uvicorn.Config(
        create_app(services, **app_kwargs),
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    try:
        assert wait_until(lambda: server.started, timeout=15), "uvicorn did not start"
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=15, trust_env=False) as http:
            yield ForwardingClient(http)
    finally:
        server.should_exit = True
        thread.join(15)
