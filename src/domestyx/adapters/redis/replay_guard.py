"""RedisReplayGuard: SET NX EX, shared by every web instance."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import redis

from domestyx.adapters.redis.client import outage_as_unavailable


class RedisReplayGuard:
    """One key per claim; Redis expires it at the end of the window."""

    def __init__(self, client: redis.Redis, *, prefix: str = "dx:seen:") -> None:
        self._client = client
        self._prefix = prefix

    def claim(self, key: str, *, now: datetime, window: timedelta) -> bool:
        """SET key 1 NX EX window: True only for the first caller (Redis keeps the time)."""
        seconds = max(1, math.ceil(window.total_seconds()))
        with outage_as_unavailable():
            return bool(self._client.set(self._prefix + key, "1", nx=True, ex=seconds))

    def release(self, key: str) -> None:
        """DEL key."""
        with outage_as_unavailable():
            self._client.delete(self._prefix + key)
