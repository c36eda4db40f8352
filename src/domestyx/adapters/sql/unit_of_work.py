"""A unit of work per transaction, over one pooled connection."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine, RootTransaction, text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from domestyx.adapters.sql.repositories import (
    SqlAccountRepository,
    SqlAuditLog,
    SqlContactChangeRepository,
    SqlDeliveryRepository,
    SqlDocumentRepository,
    SqlSessionRepository,
    SqlVerificationRepository,
)
from domestyx.adapters.sql.repositories.identity import SqlDatabaseIdentityRepository
from domestyx.adapters.sql.repositories.mfa import SqlMfaRepository
from domestyx.domain.model.errors import DependencyUnavailable, NestedUnitOfWork
from domestyx.ports.repositories import (
    AccountRepository,
    AuditLog,
    ContactChangeRepository,
    DatabaseIdentityRepository,
    DeliveryRepository,
    DocumentRepository,
    MfaRepository,
    SessionRepository,
    VerificationRepository,
)


class OpenUnits:
    """Which threads hold a unit of work; a second one on the same thread is refused."""

    def __init__(self) -> None:
        self._local = threading.local()

    def enter(self) -> None:
        """Mark this thread busy, or refuse (a nested transaction could wait on its own locks)."""
        if getattr(self._local, "open", False):
            raise NestedUnitOfWork("a unit of work is already open on this thread")
        self._local.open = True

    def leave(self) -> None:
        """Mark this thread free."""
        self._local.open = False


class SqlUnitOfWork:
    """Begins on enter, rolls back on exit unless committed; refuses nesting."""

    accounts: AccountRepository
    contact_changes: ContactChangeRepository
    sessions: SessionRepository
    documents: DocumentRepository
    verifications: VerificationRepository
    deliveries: DeliveryRepository
    mfa: MfaRepository
    identity: DatabaseIdentityRepository
    audit: AuditLog

    def __init__(self, engine: Engine, open_units: OpenUnits | None = None) -> None:
        self._engine = engine
        self._open = open_units or OpenUnits()
        self._conn: Connection | None = None
        self._tx: RootTransaction | None = None

    def __enter__(self) -> Self:
        """Check out a connection and begin."""
        self._open.enter()
        try:
            self._conn = self._engine.connect()
            self._tx = self._conn.begin()
        except (OperationalError, DBAPIError) as exc:
            self._open.leave()
            if self._conn is not None:
                self._conn.close()
            self._conn = None
            raise DependencyUnavailable(
                "the database is unavailable", dependency="database"
            ) from exc
        conn = self._conn
        self.accounts = SqlAccountRepository(conn)
        self.contact_changes = SqlContactChangeRepository(conn)
        self.sessions = SqlSessionRepository(conn)
        self.documents = SqlDocumentRepository(conn)
        self.verifications = SqlVerificationRepository(conn)
        self.deliveries = SqlDeliveryRepository(conn)
        self.mfa = SqlMfaRepository(conn)
        self.identity = SqlDatabaseIdentityRepository(conn)
        self.audit = SqlAuditLog(conn)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back what was not committed and return the connection."""
        try:
            if self._tx is not None and self._tx.is_active:
                self._tx.rollback()
        finally:
            if self._conn is not None:
                self._conn.close()
            self._conn = self._tx = None
            self._open.leave()
        if _is_outage(exc):
            raise DependencyUnavailable(
                "the database is unavailable", dependency="database"
            ) from exc

    def commit(self) -> None:
        """Commit; a lost connection surfaces as DependencyUnavailable."""
        assert self._tx is not None, "commit outside a unit of work"  # noqa: S101
        try:
            self._tx.commit()
        except OperationalError as exc:
            raise DependencyUnavailable(
                "the database is unavailable", dependency="database"
            ) from exc


def _is_outage(exc: BaseException | None) -> bool:
    """Connection loss, timeouts and lock waits: the caller may retry; constraint errors are not."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


class SqlUnitOfWorkFactory:
    """Shared by every thread; each call opens an independent unit of work."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._open = OpenUnits()

    def __call__(self) -> SqlUnitOfWork:
        """A fresh unit of work."""
        return SqlUnitOfWork(self.engine, self._open)

    def ping(self) -> None:
        """Readiness: one trivial round trip."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
