"""Counting Redis round trips client-side, on the client's own connections (no MONITOR).

A round trip is one write of commands to the socket (one command, or a whole pipeline).
Connection set-up (HELLO, SELECT, CLIENT SETINFO) and redis-py's idle health-check PING are
not the operation's work, so they are not counted. Diagnosis and tests only.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import redis
from redis.connection import Connection

_NAME = re.compile(rb"^\*\d+\r\n\$\d+\r\n([A-Za-z]+)")


class RoundTrips:
    """Thread-safe tallies: round trips, and the first command of each (EVALSHA, HMGET...)."""

    def __init__(self, where: Callable[[], bool] | None = None) -> None:
        self._lock = threading.Lock()
        self._where = where
        self.commands: Counter[str] = Counter()

    def record(self, name: str) -> None:
        """Count one round trip (unless `where()` is given and does not hold)."""
        if self._where is not None and not self._where():
            return
        with self._lock:
            self.commands[name] += 1

    def reset(self) -> None:
        """Forget what was counted so far."""
        with self._lock:
            self.commands.clear()

    @property
    def total(self) -> int:
        """Round trips so far."""
        with self._lock:
            return sum(self.commands.values())

    def snapshot(self) -> dict[str, Any]:
        """A copy of the tallies."""
        with self._lock:
            return {"round_trips": sum(self.commands.values()), "which": dict(self.commands)}


class CountingConnection(Connection):
    """A redis-py connection that reports each round trip to its pool's `RoundTrips`."""

    def __init__(self, *args: Any, round_trips: RoundTrips, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[no-untyped-call]
        self._round_trips = round_trips
        self._quiet = 0

    def connect_check_health(self, *args: Any, **kwargs: Any) -> Any:
        """Set-up commands are not the operation's."""
        self._quiet += 1
        try:
            return super().connect_check_health(*args, **kwargs)
        finally:
            self._quiet -= 1

    def _send_ping(self) -> None:
        self._quiet += 1
        try:
            super()._send_ping()  # type: ignore[no-untyped-call]
        finally:
            self._quiet -= 1

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        """Count, then send."""
        if check_health and self._sock is not None:
            self.check_health()  # before counting, so its PING stays quiet
        if not self._quiet:
            first = command if isinstance(command, (bytes, str)) else command[0]
            raw = first.encode() if isinstance(first, str) else bytes(first)
            match = _NAME.match(raw)
            self._round_trips.record(match.group(1).decode().upper() if match else "?")
        super().send_packed_command(command, check_health=False)  # type: ignore[no-untyped-call]


def count_round_trips(client: redis.Redis, where: Callable[[], bool] | None = None) -> RoundTrips:
    """Make `client`'s pool hand out counting connections from now on; returns the tally."""
    pool = client.connection_pool
    round_trips = RoundTrips(where)
    pool.reset()  # connections made before would not count
    pool.connection_class = CountingConnection
    pool.connection_kwargs = {**pool.connection_kwargs, "round_trips": round_trips}
    return round_trips
