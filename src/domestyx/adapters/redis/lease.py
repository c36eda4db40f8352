"""RedisLease: one holder at a time across processes (SET NX PX), for periodic sweeps."""

from __future__ import annotations

import uuid

import redis

from domestyx.adapters.redis.client import outage_as_unavailable

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisLease:
    """Whoever sets the key first holds it until it expires or they release it."""

    def __init__(self, client: redis.Redis, name: str, *, prefix: str = "dx:lease:") -> None:
        self._client = client
        self._key = prefix + name
        self._token = uuid.uuid4().hex
        self._release = client.register_script(_RELEASE)

    def acquire(self, ttl_ms: int) -> bool:
        """True if this process now holds the lease for at most `ttl_ms`."""
        with outage_as_unavailable():
            return bool(self._client.set(self._key, self._token, nx=True, px=ttl_ms))

    def release(self) -> None:
        """Let another process take it now."""
        with outage_as_unavailable():
            self._release(keys=[self._key], args=[self._token])
