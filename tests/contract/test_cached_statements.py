"""The hot repositories execute statements built once (only their values are bound per call)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from domestyx.adapters.sql import migrate
from domestyx.adapters.sql.engine import create_database_engine
from domestyx.adapters.sql.repositories import (
    SqlAccountRepository,
    SqlAuditLog,
    SqlDocumentRepository,
    SqlSessionRepository,
)
from domestyx.adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from domestyx.domain.model.audit import AuditEvent, AuditEventType
from domestyx.ports.repositories import UnitOfWork

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite file (the statements are the same objects on every dialect)."""
    engine = create_database_engine(f"sqlite:///{tmp_path}/cached.db")
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def _event(n: int) -> AuditEvent:
    return AuditEvent(
        id=f"{n:032x}", occurred_at=NOW, event=AuditEventType.LOGIN, outcome="ok", details={}
    )


HOT: dict[str, Callable[[Any, int], object]] = {
    "account by id": lambda c, n: SqlAccountRepository(c).get(f"{n:032x}"),
    "account by email, locked": lambda c, n: SqlAccountRepository(c).by_email(
        f"u{n}@example.com", for_update=True
    ),
    "account by phone": lambda c, n: SqlAccountRepository(c).by_phone(f"+4477009{n:05d}"),
    "principal": lambda c, n: SqlSessionRepository(c).principal(f"{n:032x}", f"{n:032x}", NOW),
    "whoami": lambda c, n: SqlSessionRepository(c).whoami(f"{n:032x}", f"{n:032x}", NOW),
    "refresh token": lambda c, n: SqlSessionRepository(c).find_token(f"{n:064x}"),
    "owner's documents": lambda c, n: SqlDocumentRepository(c).for_account(f"{n:032x}"),
    "audit append": lambda c, n: SqlAuditLog(c).append(_event(n)),
}


@pytest.mark.parametrize("name", sorted(HOT))
def test_a_hot_statement_is_the_same_object_on_every_call(engine: Engine, name: str) -> None:
    executed: list[Any] = []  # the objects themselves: a freed one's id could be reused

    def record(conn: Any, clause: Any, *args: Any) -> None:
        executed.append(clause)

    event.listen(engine, "before_execute", record)
    try:
        uow = SqlUnitOfWorkFactory(engine)
        for n in (1, 2):
            tx: UnitOfWork
            with uow() as tx:
                HOT[name](tx.accounts._conn, n)  # type: ignore[attr-defined]
    finally:
        event.remove(engine, "before_execute", record)
    assert len(executed) == 2, executed
    assert executed[0] is executed[1]  # built once, not per call
