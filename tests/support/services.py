"""Real services for contract and e2e tests: skipped locally when absent, a failure under CI."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
