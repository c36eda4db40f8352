"""Document versions over SQLAlchemy Core."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from domestyx.adapters.sql import tables as t
from domestyx.domain.model.documents import Document, DocumentKind, DocumentStatus
from domestyx.domain.model.errors import Conflict


def _document(m: Any) -> Document:
    return Document(
        id=m["id"],
        account_id=m["account_id"],
        kind=DocumentKind(m["kind"]),
        version=m["version"],
        storage_key=m["storage_key"],
        content_type=m["content_type"],
        size=m["size"],
        sha256=m["sha256"],
        uploaded_at=m["uploaded_at"],
        delete_after=m["delete_after"],
        status=DocumentStatus(m["status"]),
        legal_hold=bool(m["legal_hold"]),
        deleted_at=m["deleted_at"],
        purged_at=m["purged_at"],
    )


def _document_values(d: Document) -> dict[str, Any]:
    return {
        "id": d.id,
        "account_id": d.account_id,
        "kind": d.kind.value,
        "version": d.version,
        "storage_key": d.storage_key,
        "content_type": d.content_type,
        "size": d.size,
        "sha256": d.sha256,
        "uploaded_at": d.uploaded_at,
        "delete_after": d.delete_after,
        "status": d.status.value,
        "legal_hold": d.legal_hold,
        "deleted_at": d.deleted_at,
        "purged_at": d.purged_at,
    }


# Built once (hot path): each call only binds its values.
_VISIBLE = (
    select(t.documents)
    .where(
        t.documents.c.account_id == bindparam("account_id"),
        t.documents.c.status.in_([DocumentStatus.ACTIVE.value, DocumentStatus.SUPERSEDED.value]),
    )
    .order_by(t.documents.c.uploaded_at.desc(), t.documents.c.version.desc())
)


class SqlDocumentRepository:
    """Document versions."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, document: Document) -> None:
        """Insert a version; a concurrent upload of the same version becomes Conflict."""
        try:
            with self._conn.begin_nested():
                self._conn.execute(insert(t.documents).values(**_document_values(document)))
        except IntegrityError as exc:
            raise Conflict("another upload of this document kind is in progress") from exc

    def get(self, document_id: str, *, for_update: bool = False) -> Document | None:
        """By id."""
        query = select(t.documents).where(t.documents.c.id == document_id)
        if for_update:
            query = query.with_for_update()
        row = self._conn.execute(query).first()
        return _document(row._mapping) if row else None

    def for_account(self, account_id: str) -> Sequence[Document]:
        """Visible versions, newest first."""
        rows = self._conn.execute(_VISIBLE, {"account_id": account_id})
        return [_document(row._mapping) for row in rows]

    def all_for_account(self, account_id: str) -> Sequence[Document]:
        """Every version."""
        d = t.documents
        query = select(d).where(d.c.account_id == account_id).order_by(d.c.uploaded_at)
        return [_document(row._mapping) for row in self._conn.execute(query)]

    def latest(self, account_id: str, kind: DocumentKind) -> Document | None:
        """Newest version of a kind."""
        d = t.documents
        query = (
            select(d)
            .where(d.c.account_id == account_id, d.c.kind == kind.value)
            .order_by(d.c.version.desc())
            .limit(1)
            .with_for_update()
        )
        row = self._conn.execute(query).first()
        return _document(row._mapping) if row else None

    def save(self, document: Document) -> None:
        """Write back."""
        values = _document_values(document)
        self._conn.execute(
            update(t.documents).where(t.documents.c.id == values.pop("id")).values(values)
        )

    def due_for_purge(self, now: datetime, limit: int) -> Sequence[Document]:
        """Past retention, not held, not yet purged."""
        d = t.documents
        query = (
            select(d)
            .where(
                d.c.status != DocumentStatus.PURGED.value,
                # "= false", not "IS false": only an equality lets the index serve it.
                d.c.legal_hold == False,  # noqa: E712
                d.c.delete_after <= now,
            )
            .order_by(d.c.delete_after)
            .limit(limit)
        )
        return [_document(row._mapping) for row in self._conn.execute(query)]

    def storage_keys(self) -> Iterator[str]:
        """Keys the database believes exist."""
        query = select(t.documents.c.storage_key).where(t.documents.c.storage_key.is_not(None))
        for (key,) in self._conn.execute(query):
            yield key
