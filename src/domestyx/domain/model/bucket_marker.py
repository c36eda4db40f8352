"""The bucket's marker: which database a document bucket belongs to."""

from __future__ import annotations

import enum
import json
from datetime import datetime

import attrs

# Outside `documents/` (reconcile lists only that) and `backups/`; never a user's key.
MARKER_KEY = "_domestyx/database-marker.json"
_FORMAT = 1


class MarkerUnreadable(ValueError):
    """The object at MARKER_KEY is not a marker this version understands."""


@attrs.frozen
class DatabaseIdentity:
    """A database's stable id (one row, written once by migrate) and what its server calls it.

    The id travels with the data: a fork or a restored dump is the same database, so it keeps
    its bucket. The name is only for people reading a refusal.
    """

    id: str
    name: str


@attrs.frozen
class BucketMarker:
    """The object in the bucket naming the one database whose rows its documents belong to."""

    database_id: str
    database_name: str
    claimed_at: datetime

    @classmethod
    def for_database(cls, identity: DatabaseIdentity, now: datetime) -> BucketMarker:
        """A new marker claiming the bucket for `identity`."""
        return cls(identity.id, identity.name, now)

    def names(self, identity: DatabaseIdentity) -> bool:
        """Whether this marker names that database (by id; names are not unique)."""
        return self.database_id == identity.id

    def to_json(self) -> bytes:
        """The stored form: small, readable JSON."""
        body = {
            "format": _FORMAT,
            "database_id": self.database_id,
            "database_name": self.database_name,
            "claimed_at": self.claimed_at.isoformat(),
            "note": "domestyx: reconcile and purge-expired refuse unless this names their database",
        }
        return json.dumps(body, indent=2).encode() + b"\n"

    @classmethod
    def from_json(cls, data: bytes) -> BucketMarker:
        """Parse the stored form; anything else is MarkerUnreadable."""
        try:
            body = json.loads(data)
            if body["format"] != _FORMAT:
                raise MarkerUnreadable(f"marker format {body['format']!r} is not {_FORMAT}")
            return cls(
                str(body["database_id"]),
                str(body["database_name"]),
                datetime.fromisoformat(body["claimed_at"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            if isinstance(exc, MarkerUnreadable):
                raise
            raise MarkerUnreadable(f"not a marker: {type(exc).__name__}") from exc


class MarkerState(enum.StrEnum):
    """What the bucket says about the database we are connected to."""

    MATCHES = "matches"
    MISSING = "missing"
    OTHER_DATABASE = "other_database"
    UNREADABLE = "unreadable"
    NO_IDENTITY = "no_identity"


@attrs.frozen
class MarkerCheck:
    """One look at the pair: our database's identity, the bucket's marker, how they relate."""

    state: MarkerState
    identity: DatabaseIdentity | None = None
    marker: BucketMarker | None = None
    claimed: bool = False  # this call wrote the marker
    has_documents: bool | None = None  # only asked when deciding whether to claim
    rows_without_objects: int = 0  # the database lists documents, the bucket holds none

    @property
    def ok(self) -> bool:
        """The bucket is ours."""
        return self.state is MarkerState.MATCHES

    def describe(self) -> str:
        """One line for an operator."""
        ours = _named(self.identity)
        if self.state is MarkerState.MATCHES:
            verb = "claimed for" if self.claimed else "belongs to"
            return f"bucket {verb} this database {ours}"
        if self.state is MarkerState.NO_IDENTITY:
            return "this database has no identity yet: run `domestyx migrate`"
        if self.state is MarkerState.UNREADABLE:
            return f"the bucket's marker {MARKER_KEY} is unreadable; see docs/operations.md"
        if self.state is MarkerState.OTHER_DATABASE:
            assert self.marker is not None  # noqa: S101 - set with this state
            theirs = f"{self.marker.database_name!r} ({self.marker.database_id[:12]})"
            return f"the bucket belongs to database {theirs}, not this database {ours}"
        return self._why_missing()

    def _why_missing(self) -> str:
        if self.rows_without_objects:
            return (
                f"the bucket has no marker and no documents, but this database lists "
                f"{self.rows_without_objects}: is it the right bucket? Not claimed"
            )
        if self.has_documents:
            return (
                f"the bucket holds documents but no marker ({MARKER_KEY}): run `domestyx migrate`"
            )
        return f"the bucket has no marker ({MARKER_KEY}): run `domestyx migrate`"


def _named(identity: DatabaseIdentity | None) -> str:
    if identity is None:
        return "(unknown)"
    return f"{identity.name!r} ({identity.id[:12]})"
