"""one_connection(): the units of work of a request share one checkout, never unsafely."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, QueuePool, create_engine, text
from sqlalchemy.exc import OperationalError

from domestyx.adapters.sql import migrate
from domestyx.adapters.sql.counting import StatementCounter
from domestyx.adapters.sql.engine import create_database_engine
from domestyx.adapters.sql.unit_of_work import (
    ConnectionLease,
    SqlUnitOfWorkFactory,
    one_connection,
    release_held,
)
from domestyx.domain.model.errors import DependencyUnavailable


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite file behind a QueuePool."""
    engine = create_database_engine(f"sqlite:///{tmp_path}/lease.db")
    migrate.upgrade(engine)
    assert isinstance(engine.pool, QueuePool)
    yield engine
    engine.dispose()


def _checkouts(engine: Engine) -> StatementCounter:
    return StatementCounter.attach(engine)


def test_units_of_work_in_one_scope_check_out_once(engine: Engine) -> None:
    uow, counter = SqlUnitOfWorkFactory(engine), _checkouts(engine)
    with one_connection() as lease:
        for _ in range(3):
            with uow() as tx:
                assert tx.accounts.get("nobody") is None
        assert lease.holds()
        lease.release()
    assert counter.checkouts == 1
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    counter.detach()


def test_release_held_returns_the_scope_connection_early(engine: Engine) -> None:
    uow, counter = SqlUnitOfWorkFactory(engine), _checkouts(engine)
    release_held()  # outside a scope: nothing to do
    with one_connection() as lease:
        with uow() as tx:
            tx.accounts.get("nobody")
        assert engine.pool.checkedout() == 1  # type: ignore[attr-defined]
        release_held()
        assert not lease.holds()
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        with uow() as tx:  # a later unit of work still works: it checks out again
            assert tx.accounts.get("nobody") is None
        lease.release()
    assert counter.checkouts == 2
    counter.detach()


def test_outside_a_scope_each_unit_of_work_checks_out(engine: Engine) -> None:
    uow, counter = SqlUnitOfWorkFactory(engine), _checkouts(engine)
    for _ in range(2):
        with uow() as tx:
            tx.accounts.get("nobody")
    assert counter.checkouts == 2
    counter.detach()


def test_a_database_error_drops_the_held_connection(engine: Engine) -> None:
    uow, counter = SqlUnitOfWorkFactory(engine), _checkouts(engine)
    with one_connection() as lease:
        with pytest.raises((DependencyUnavailable, OperationalError)), uow() as tx:
            tx.accounts._conn.execute(text("SELECT * FROM no_such_table"))  # type: ignore[attr-defined]
        assert not lease.holds()
        with uow() as tx:
            tx.accounts.get("nobody")
        lease.release()
    assert counter.checkouts == 2
    counter.detach()


def test_a_busy_connection_is_not_shared(engine: Engine) -> None:
    lease = ConnectionLease()
    conn = engine.connect()
    assert lease.take(engine) == (True, None)  # the first unit of work checks out itself
    lease.keep(engine, conn)
    assert lease.take(engine) == (True, conn)  # the next one reuses it
    assert lease.take(engine) == (False, None)  # a concurrent one gets its own
    lease.keep(engine, conn)
    lease.release()
    assert conn.closed


def test_no_connection_is_held_when_the_pool_has_none_to_spare(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}/small.db", pool_size=1, max_overflow=1)
    with one_connection() as lease:
        with SqlUnitOfWorkFactory(engine)():
            pass
        assert not lease.holds()  # holding the only one could starve another request
    engine.dispose()
