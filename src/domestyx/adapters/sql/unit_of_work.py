"""A unit of work per transaction, over one pooled connection."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine, QueuePool, RootTransaction, text
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


class ConnectionLease:
    """One checked-out connection per engine, reused by the units of work of one request.

    Units of work run one after the other (auth, then the handler's), maybe on different
    threads; a unit of work that finds the connection busy checks out its own instead.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: dict[Engine, Connection] = {}
        self._busy: set[Engine] = set()

    def take(self, engine: Engine) -> tuple[bool, Connection | None]:
        """(granted, the held connection or None before the first checkout); not granted
        while another unit of work uses it."""
        with self._lock:
            if engine in self._busy:
                return False, None
            self._busy.add(engine)
            return True, self._idle.pop(engine, None)

    def keep(self, engine: Engine, conn: Connection | None) -> None:
        """Hold `conn` for the next unit of work (None: it was closed), and mark it free.

        Only while the pool has others to spare: a request waiting for a thread must never sit
        on the connection another request's thread needs (held ones stay below the pool size).
        """
        if conn is not None and not _spare(engine):
            conn.close()
            conn = None
        with self._lock:
            self._busy.discard(engine)
            if conn is not None:
                self._idle[engine] = conn

    def holds(self) -> bool:
        """Whether a connection waits to be returned."""
        with self._lock:
            return bool(self._idle)

    def release(self) -> None:
        """Return every held connection to its pool."""
        with self._lock:
            held, self._idle = list(self._idle.values()), {}
        for conn in held:
            conn.close()


def _spare(engine: Engine) -> bool:
    """Whether the pool still has connections for other requests with this one out."""
    pool = engine.pool
    return isinstance(pool, QueuePool) and pool.checkedout() < pool.size()


_LEASE: ContextVar[ConnectionLease | None] = ContextVar("domestyx_sql_lease", default=None)


@contextmanager
def one_connection() -> Iterator[ConnectionLease]:
    """Inside: the units of work of this context (and the threads it hands work to) share one
    pool checkout per engine. The caller returns it with `release()` (blocking I/O)."""
    lease = ConnectionLease()
    token = _LEASE.set(lease)
    try:
        yield lease
    finally:
        _LEASE.reset(token)


def release_held() -> None:
    """Return this context's held connections now: for a handler's own thread when nothing
    after it reads the database, so the response needs no thread hop of its own to return them.
    A later unit of work would simply check out again."""
    lease = _LEASE.get()
    if lease is not None:
        lease.release()


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
        self._lease: ConnectionLease | None = None

    def __enter__(self) -> Self:
        """Check out a connection (or take the request's) and begin."""
        self._open.enter()
        lease = _LEASE.get()
        if lease is not None:
            granted, self._conn = lease.take(self._engine)
            self._lease = lease if granted else None
        try:
            if self._conn is None:
                self._conn = self._engine.connect()
            self._tx = self._conn.begin()
        except (OperationalError, DBAPIError) as exc:
            self._open.leave()
            if self._conn is not None:
                self._conn.close()
            self._conn = None
            self._give_back()
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
            conn, self._conn, self._tx = self._conn, None, None
            if conn is not None and (
                self._lease is None
                or conn.invalidated
                or conn.closed
                or isinstance(exc, DBAPIError)
            ):
                conn.close()  # an error may have left the connection unusable: not reused
                conn = None
            self._give_back(conn)
            self._open.leave()
        if _is_outage(exc):
            raise DependencyUnavailable(
                "the database is unavailable", dependency="database"
            ) from exc

    def _give_back(self, conn: Connection | None = None) -> None:
        if self._lease is not None:
            self._lease.keep(self._engine, conn)
            self._lease = None

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
