"""Round trips counted at the servers (Redis MONITOR + INFO commandstats, MariaDB status)."""

from __future__ import annotations

import hashlib
import re
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import attrs
import dramatiq.brokers.redis as dramatiq_redis
import redis
from sqlalchemy import create_engine, event, text

from domestyx.adapters.redis import otp_store, rate_limiter
from domestyx.adapters.sql.engine import normalize_url

_MONITOR_LINE = re.compile(r'^[\d.]+ \[(\d+) ([^\]]+)\] "([^"]+)"(?: "([^"]*)")?')


def script_names() -> dict[str, str]:
    """SHA1 of every Lua script the service runs -> a readable name."""
    scripts = {
        "rate_limit.hit": rate_limiter._HIT,
        "failures.add": rate_limiter._FAIL_ADD,
        "failures.tally": rate_limiter._FAIL_TALLY,
        "otp.issue": otp_store._ISSUE,
        "otp.attempt": otp_store._ATTEMPT,
        "otp.consume": otp_store._CONSUME,
    }
    names = {hashlib.sha1(s.encode()).hexdigest(): n for n, s in scripts.items()}  # noqa: S324
    for name, body in dramatiq_redis._scripts.items():
        names[hashlib.sha1(body).hexdigest()] = f"dramatiq.{name}"  # noqa: S324
    return names


@attrs.frozen
class RedisCounts:
    """Per operation: what clients sent (round trips) and what ran inside Lua scripts."""

    operations: int
    round_trips: float
    by_command: dict[str, float]
    inside_scripts: float
    commandstats: dict[str, float]

    def summary(self) -> str:
        """e.g. `EVALSHA rate_limit.hit 1.00, DEL 1.00`."""
        return ", ".join(f"{k} {v:.2f}" for k, v in sorted(self.by_command.items()))


def _commandstats(client: redis.Redis) -> Counter[str]:
    info = client.info("commandstats")
    return Counter({k.removeprefix("cmdstat_"): int(v["calls"]) for k, v in info.items()})


class RedisTrace:
    """Counts one window of Redis traffic on the benchmark's database."""

    def __init__(self, redis_url: str, log: Path) -> None:
        parsed = urlparse(redis_url)
        self.db = (parsed.path or "/0").lstrip("/") or "0"
        self.host, self.port = parsed.hostname or "127.0.0.1", parsed.port or 6379
        self.admin = redis.Redis(host=self.host, port=self.port, db=0)  # INFO from db 0
        self.log = log
        self.names = script_names()
        self._process: subprocess.Popen[bytes] | None = None
        self._before: Counter[str] = Counter()
        self._after: Counter[str] = Counter()

    def __enter__(self) -> RedisTrace:
        self._file = self.log.open("wb")
        self._process = subprocess.Popen(
            ["redis-cli", "-h", self.host, "-p", str(self.port), "monitor"],
            stdout=self._file, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 5
        while b"OK" not in self.log.read_bytes() and time.monotonic() < deadline:
            time.sleep(0.02)
        self._before = _commandstats(self.admin)
        return self

    def __exit__(self, *exc: object) -> None:
        time.sleep(0.3)  # let MONITOR flush the last commands
        self._after = _commandstats(self.admin)
        assert self._process is not None
        self._process.terminate()
        self._process.wait(5)
        self._file.close()

    def counts(self, operations: int) -> RedisCounts:
        """Divide the window by `operations`."""
        sent: Counter[str] = Counter()
        scripted = 0
        for line in self.log.read_text(errors="replace").splitlines():
            match = _MONITOR_LINE.match(line)
            if match is None or match.group(1) != self.db:
                continue
            source, command = match.group(2), match.group(3).lower()
            if source == "lua":
                scripted += 1
                continue
            if command in ("evalsha", "eval"):
                arg = match.group(4) or ""
                sha = arg if command == "evalsha" else hashlib.sha1(arg.encode()).hexdigest()  # noqa: S324
                command = f"{command.upper()} {self.names.get(sha, sha[:8])}"
            else:
                command = command.upper()
            sent[command] += 1
        stats = self._after - self._before
        stats.pop("info", None)
        n = max(operations, 1)
        return RedisCounts(
            operations=operations,
            round_trips=sum(sent.values()) / n,
            by_command={k: v / n for k, v in sent.items()},
            inside_scripts=scripted / n,
            commandstats={k: v / n for k, v in sorted(stats.items())},
        )


class MariaDbLog:
    """Every query the scratch database's connections sent in one window (general log)."""

    def __init__(self, database_url: str) -> None:
        url, args = normalize_url(database_url)
        self.database = url.database
        self.engine = create_engine(
            url, connect_args=args, pool_size=1, isolation_level="AUTOCOMMIT"
        )
        self.rows: list[tuple[int, str, str]] = []

    def __enter__(self) -> MariaDbLog:
        with self.engine.connect() as conn:
            self._saved = conn.execute(text("SELECT @@general_log, @@log_output")).one()
            conn.execute(text("SET GLOBAL log_output = 'TABLE'"))
            conn.execute(text("TRUNCATE mysql.general_log"))
            conn.execute(text("SET GLOBAL general_log = ON"))
        return self

    def __exit__(self, *exc: object) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SET GLOBAL general_log = OFF"))
            ids = (
                conn.execute(
                    text(
                        "SELECT ID FROM information_schema.PROCESSLIST"
                        " WHERE DB = :db AND ID != CONNECTION_ID()"
                    ),
                    {"db": self.database},
                )
                .scalars()
                .all()
            )
            found = conn.execute(
                text("SELECT thread_id, command_type, argument FROM mysql.general_log")
            ).all()
            self.rows = [
                (int(t), str(c), a.decode() if isinstance(a, bytes) else str(a))
                for t, c, a in found
                if int(t) in set(ids)
            ]
            conn.execute(text("TRUNCATE mysql.general_log"))
            conn.execute(text(f"SET GLOBAL log_output = '{self._saved[1]}'"))
            conn.execute(text(f"SET GLOBAL general_log = {int(self._saved[0])}"))
        self.engine.dispose()

    def per(self, operations: int) -> dict[str, float]:
        """Queries per operation by label (`COMMIT`, `SELECT accounts FOR UPDATE`, ...)."""
        seen: Counter[str] = Counter(label(arg) for _, kind, arg in self.rows if kind == "Query")
        n = max(operations, 1)
        return {k: v / n for k, v in sorted(seen.items())}


@attrs.define
class SqlCounter:
    """In-process SQLAlchemy events: statements, pool checkouts (each pre-pings) and commits."""

    statements: list[str] = attrs.Factory(list)
    checkouts: int = 0
    commits: int = 0

    def attach(self, engine: Any) -> None:
        """Listen on the engine the app uses."""
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)
        event.listen(engine, "checkout", self._checkout)

    def reset(self) -> None:
        """Start a new window."""
        self.statements.clear()
        self.checkouts = self.commits = 0

    def _statement(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(label(statement))

    def _commit(self, conn: Any) -> None:
        self.commits += 1

    def _checkout(self, *args: Any) -> None:
        self.checkouts += 1


def label(statement: str) -> str:
    """`SELECT accounts FOR UPDATE`, `INSERT audit_events`, `UPDATE refresh_tokens`."""
    sql = " ".join(statement.split())
    verb = sql.split(" ", 1)[0].upper()
    table = re.search(r"(?:FROM|INTO|UPDATE)\s+`?(\w+)", sql, re.IGNORECASE)
    name = f"{verb} {table.group(1)}" if table else verb
    if "FOR UPDATE" in sql.upper():
        name += " FOR UPDATE"
    return name
