"""Real services for contract and e2e tests: skipped locally when absent, a failure under CI."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlparse

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
MARIADB_URL = os.environ.get("TEST_MARIADB_URL", "mysql://root@127.0.0.1:3306/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def unavailable(name: str, reason: str) -> None:
    """Skip a test whose server is absent, except under CI where that is a failure."""
    message = f"{name} unavailable: {reason}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: service tests may not skip)", pytrace=False)
    pytest.skip(message)


def port_open(url: str, default_port: int) -> bool:
    """Whether something listens at the URL's host and port."""
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), 1
        ):
            return True
    except OSError:
        return False


def free_port() -> int:
    """An unused TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def scratch_mariadb_database() -> Iterator[str]:
    """A fresh, migrated-later MariaDB database, dropped afterwards; yields its URL."""
    from sqlalchemy import create_engine, text

    from domestyx.adapters.sql.engine import normalize_url

    if not port_open(MARIADB_URL, 3306):
        unavailable("MariaDB", f"nothing listens at {MARIADB_URL}")
    name = f"dx_test_{uuid.uuid4().hex[:10]}"
    url, args = normalize_url(MARIADB_URL)
    admin = create_engine(url, connect_args=args, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(
                text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
            )
    except Exception as exc:
        admin.dispose()
        unavailable("MariaDB", str(exc))
    try:
        yield MARIADB_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()


def require_redis() -> str:
    """The Redis URL, after a PING."""
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        client.close()
    except redis.RedisError as exc:
        unavailable("Redis", f"{REDIS_URL}: {exc}")
    return REDIS_URL


def wait_until(
    predicate: Callable[[], bool], timeout: float = 10.0, interval: float = 0.05
) -> bool:
    """Poll until true or timeout; returns the last result."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


class PrivateRedis:
    """A redis-server of our own on a free port, so a test can stop and restart it."""

    def __init__(self) -> None:
        import shutil

        binary = shutil.which("redis-server")
        if binary is None:
            unavailable("redis-server", "binary not on PATH")
        self.binary = binary or "redis-server"
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: Any = None

    def start(self) -> PrivateRedis:
        """Start and wait for PING."""
        import subprocess

        import redis

        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        assert wait_until(lambda: _pings(client), timeout=10), "private redis did not start"
        return self

    def stop(self) -> None:
        """Kill it (like an outage), waiting until the port is closed."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def __enter__(self) -> PrivateRedis:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _pings(client: Any) -> bool:
    import redis

    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
