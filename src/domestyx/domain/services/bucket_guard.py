"""The bucket/database pairing: migrate and check claim the bucket, destructive jobs verify it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from domestyx.domain.model.bucket_marker import (
    MARKER_KEY,
    BucketMarker,
    DatabaseIdentity,
    MarkerCheck,
    MarkerState,
    MarkerUnreadable,
)
from domestyx.domain.model.documents import STORAGE_PREFIX
from domestyx.domain.model.errors import NotFound

if TYPE_CHECKING:
    from domestyx.ports.clock import Clock
    from domestyx.ports.randomness import IdGenerator
    from domestyx.ports.repositories import UnitOfWorkFactory
    from domestyx.ports.storage import DocumentStorage


@attrs.frozen
class BucketGuard:
    """Reads and writes the marker object that names the bucket's database."""

    uow: UnitOfWorkFactory
    storage: DocumentStorage
    ids: IdGenerator
    clock: Clock

    def ensure_identity(self) -> DatabaseIdentity:
        """The database's identity, created on first call (by `migrate`), never replaced."""
        with self.uow() as uow:
            identity = uow.identity.claim(self.ids.new_id())
            uow.commit()
        return identity

    def inspect(self) -> MarkerCheck:
        """Compare the bucket's marker with this database; writes nothing."""
        with self.uow() as uow:
            identity = uow.identity.get()
        if identity is None:
            return MarkerCheck(MarkerState.NO_IDENTITY)
        try:
            marker = BucketMarker.from_json(self.storage.read(MARKER_KEY))
        except NotFound:
            return MarkerCheck(MarkerState.MISSING, identity)
        except MarkerUnreadable:
            return MarkerCheck(MarkerState.UNREADABLE, identity)
        state = MarkerState.MATCHES if marker.names(identity) else MarkerState.OTHER_DATABASE
        return MarkerCheck(state, identity, marker)

    def claim(self, *, only_if_empty: bool) -> MarkerCheck:
        """Write our marker if the bucket has none (and, if asked, holds no documents).

        `migrate` claims any unmarked bucket (that is how an existing deployment adopts the
        guard); `check` only an empty one, since it runs against unchecked configuration.
        Neither claims a bucket without documents for a database that lists some, and neither
        overwrites a marker: a bucket naming another database stays refused.
        """
        check = self.inspect()
        if check.state is not MarkerState.MISSING or check.identity is None:
            return check
        has_documents = self._has_documents()
        if only_if_empty and has_documents:
            return attrs.evolve(check, has_documents=True)
        if not has_documents and (listed := self._listed_documents()):
            # Rows without a single object: most likely the wrong bucket, so claim nothing.
            return attrs.evolve(check, has_documents=False, rows_without_objects=listed)
        marker = BucketMarker.for_database(check.identity, self.clock.now())
        created = self.storage.create(MARKER_KEY, marker.to_json(), content_type="application/json")
        # Whoever won a race, the stored marker is the truth.
        return attrs.evolve(self.inspect(), claimed=created)

    def _listed_documents(self) -> int:
        with self.uow() as uow:
            return sum(1 for _ in uow.documents.storage_keys())

    def _has_documents(self) -> bool:
        return next(iter(self.storage.list(STORAGE_PREFIX)), None) is not None
