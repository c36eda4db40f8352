"""Root fixtures: clocks, ids and the redis/mariadb handles shared by the suites."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from domestyx.adapters.memory.clock import ManualClock
from tests.support.services import require_redis


@pytest.fixture
def clock() -> ManualClock:
    """A clock that only moves when told."""
    return ManualClock()


@pytest.fixture
def redis_client() -> Iterator[object]:
    """A fail-fast client on a test database, flushed before and after."""
    from domestyx.adapters.redis.client import connect

    client = connect(require_redis())
    client.flushdb()
    yield client
    client.flushdb()
    client.close()
