"""The fake database's identity row."""

from __future__ import annotations

import attrs

from domestyx.domain.model.bucket_marker import DatabaseIdentity


@attrs.define
class IdentityTable:
    """One optional row, as in SQL; `name` is what the fake's "server" calls it."""

    id: str | None = None
    name: str = "memory"


class MemoryDatabaseIdentityRepository:
    """First claim wins."""

    def __init__(self, table: IdentityTable) -> None:
        self._t = table

    def get(self) -> DatabaseIdentity | None:
        """The stored id."""
        return None if self._t.id is None else DatabaseIdentity(self._t.id, self._t.name)

    def claim(self, candidate_id: str) -> DatabaseIdentity:
        """Insert once."""
        if self._t.id is None:
            self._t.id = candidate_id
        return DatabaseIdentity(self._t.id, self._t.name)
