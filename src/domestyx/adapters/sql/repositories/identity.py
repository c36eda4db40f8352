"""The database's identity row over SQLAlchemy Core."""

from __future__ import annotations

from pathlib import PurePath

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from domestyx.adapters.sql import tables as t
from domestyx.domain.model.bucket_marker import DatabaseIdentity

_SLOT = 1  # the only row: a second claim collides on the primary key


class SqlDatabaseIdentityRepository:
    """One row; its name is what the connection URL calls the database (a file for SQLite)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self) -> DatabaseIdentity | None:
        """The stored id, if claimed."""
        found = self._conn.execute(
            select(t.database_identity.c.id).where(t.database_identity.c.slot == _SLOT)
        ).scalar_one_or_none()
        return None if found is None else DatabaseIdentity(found, self._name())

    def claim(self, candidate_id: str) -> DatabaseIdentity:
        """Insert once; a concurrent or earlier claim wins and is returned."""
        try:
            with self._conn.begin_nested():
                self._conn.execute(insert(t.database_identity).values(slot=_SLOT, id=candidate_id))
        except IntegrityError:
            pass  # claimed already: read the winner below
        identity = self.get()
        if identity is None:  # pragma: no cover - the insert or the winner's row is visible
            raise RuntimeError("database identity vanished while claiming it")
        return identity

    def _name(self) -> str:
        url = self._conn.engine.url
        database = url.database or ""
        return PurePath(database).name if url.get_backend_name() == "sqlite" else database
