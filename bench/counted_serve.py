"""`domestyx serve` with counters in its own process: SQL statements and Redis round trips.

Run as `python -m bench.counted_serve serve --host H --port N` with BENCH_COUNTS_FILE set (the
switch): SQLAlchemy events on every Engine and Pool of the process count statements, commits
and pool checkouts; redis-py's connections count each write to the socket as one round trip,
except connection set-up and the idle health-check PING, which are no operation's work. On
SIGUSR1 the tallies are written to BENCH_COUNTS_FILE as JSON and reset. Nothing on the MariaDB
or Redis servers changes: the counting happens in the client, in the server process. It is
`adapters/sql/counting.py` and `adapters/redis/counting.py` (the tests' counters) applied to
every engine, pool and connection of a process the benchmark can't reach into.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from redis.connection import AbstractConnection
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

# The labels of the project's own counters (tests/e2e/test_round_trips.py uses the same).
from domestyx.adapters.sql.counting import describe
from domestyx.entrypoints.cli.main import main as domestyx_main

SWITCH = "BENCH_COUNTS_FILE"
# Sent when a connection opens or by the idle health check: not the operation's round trips.
_SETUP = frozenset({"PING", "SELECT", "HELLO", "AUTH", "CLIENT", "READONLY"})
_NAME = re.compile(rb"^\*\d+\r\n\$\d+\r\n([A-Za-z]+)\r\n(?:\$\d+\r\n([^\r]*)\r\n)?")


class Tallies:
    """Thread-safe counters, dumped and reset together."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sql: Counter[str] = Counter()
        self.redis: Counter[str] = Counter()
        self.checkouts = self.commits = 0

    def dump(self, path: Path) -> None:
        """Write everything counted since the last dump, then start again."""
        with self.lock:
            data: dict[str, Any] = {
                "sql": dict(self.sql),
                "redis": dict(self.redis),
                "checkouts": self.checkouts,
                "commits": self.commits,
            }
            self.sql.clear()
            self.redis.clear()
            self.checkouts = self.commits = 0
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        tmp.replace(path)


def install(tallies: Tallies) -> None:
    """Listen on every Engine and Pool; wrap redis-py's socket writes."""

    def statement(conn: Any, cursor: Any, text: str, *args: Any) -> None:
        with tallies.lock:
            tallies.sql[describe(text)] += 1

    def commit(conn: Any) -> None:
        with tallies.lock:
            tallies.commits += 1

    def checkout(*args: Any) -> None:
        with tallies.lock:
            tallies.checkouts += 1

    event.listen(Engine, "before_cursor_execute", statement)
    event.listen(Engine, "commit", commit)
    event.listen(Pool, "checkout", checkout)
    original = AbstractConnection.send_packed_command

    def send_packed_command(self: Any, command: Any, check_health: bool = True) -> None:
        first = command if isinstance(command, bytes | str) else command[0]
        raw = first.encode() if isinstance(first, str) else bytes(first)
        match = _NAME.match(raw)
        name = match.group(1).decode().upper() if match else "?"
        if name not in _SETUP:
            if name == "EVALSHA" and match and match.group(2):
                name = f"EVALSHA {match.group(2).decode()}"
            with tallies.lock:
                tallies.redis[name] += 1
        original(self, command, check_health)

    AbstractConnection.send_packed_command = send_packed_command  # type: ignore[method-assign]


def main() -> int:
    """Install the counters, then run the `domestyx` command line in this process."""
    path = Path(os.environ[SWITCH])
    tallies = Tallies()
    install(tallies)
    signal.signal(signal.SIGUSR1, lambda *_: tallies.dump(path))
    return domestyx_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
