"""Counting what an engine does (statements, pool checkouts, commits) with SQLAlchemy events.

Diagnosis and tests only: nothing in the request path depends on it, and it changes no
server setting. `StatementCounter.attach(engine)` starts counting; `detach()` stops.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any, Self

from sqlalchemy import Engine, event

_TABLE = re.compile(r"\b(?:FROM|INTO|UPDATE|JOIN)\s+`?(\w+)`?", re.IGNORECASE)


def describe(statement: str) -> str:
    """'SELECT accounts FOR UPDATE', 'INSERT audit_events', ...: the verb, first table, lock."""
    text = statement.strip()
    verb = text.split(None, 1)[0].upper() if text else "?"
    match = _TABLE.search(text)
    label = f"{verb} {match.group(1)}" if match else verb
    return label + (" FOR UPDATE" if re.search(r"\bFOR UPDATE\b", text, re.I) else "")


class StatementCounter:
    """Thread-safe tallies of one engine's statements (by `describe`), checkouts and commits."""

    def __init__(self, engine: Engine, where: Callable[[], bool] | None = None) -> None:
        self._engine = engine
        self._where = where
        self._lock = threading.Lock()
        self.statements: Counter[str] = Counter()
        self.checkouts = 0
        self.commits = 0
        self.rollbacks = 0

    @classmethod
    def attach(cls, engine: Engine, where: Callable[[], bool] | None = None) -> Self:
        """Start counting on `engine`; only events for which `where()` holds, when given."""
        counter = cls(engine, where)
        event.listen(engine, "before_cursor_execute", counter._on_statement)
        event.listen(engine, "commit", counter._on_commit)
        event.listen(engine, "rollback", counter._on_rollback)
        event.listen(engine.pool, "checkout", counter._on_checkout)
        return counter

    def detach(self) -> None:
        """Stop counting."""
        event.remove(self._engine, "before_cursor_execute", self._on_statement)
        event.remove(self._engine, "commit", self._on_commit)
        event.remove(self._engine, "rollback", self._on_rollback)
        event.remove(self._engine.pool, "checkout", self._on_checkout)

    def reset(self) -> None:
        """Forget what was counted so far."""
        with self._lock:
            self.statements.clear()
            self.checkouts = self.commits = self.rollbacks = 0

    @property
    def total(self) -> int:
        """Statements sent (pre-pings excluded: they run before the checkout event's counter)."""
        with self._lock:
            return sum(self.statements.values())

    def snapshot(self) -> dict[str, Any]:
        """A copy of every tally."""
        with self._lock:
            return {
                "statements": sum(self.statements.values()),
                "which": dict(self.statements),
                "checkouts": self.checkouts,
                "commits": self.commits,
                "rollbacks": self.rollbacks,
            }

    def _on_statement(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if self._where is not None and not self._where():
            return
        with self._lock:
            self.statements[describe(statement)] += 1

    def _on_commit(self, conn: Any) -> None:
        if self._where is not None and not self._where():
            return
        with self._lock:
            self.commits += 1

    def _on_rollback(self, conn: Any) -> None:
        if self._where is not None and not self._where():
            return
        with self._lock:
            self.rollbacks += 1

    def _on_checkout(self, *args: Any) -> None:
        if self._where is not None and not self._where():
            return
        with self._lock:
            self.checkouts += 1
