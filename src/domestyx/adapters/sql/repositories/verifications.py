"""Review submissions and their history over SQLAlchemy Core."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Integer, Select, bindparam, insert, select, union_all, update

from domestyx.adapters.sql import tables as t
from domestyx.domain.model.accounts import IdentityStatus
from domestyx.domain.model.verification import ReviewEntry, Verification


def _verification(m: Any, document_ids: tuple[str, ...]) -> Verification:
    return Verification(
        id=m["id"],
        account_id=m["account_id"],
        document_ids=document_ids,
        submitted_at=m["submitted_at"],
        status=IdentityStatus(m["status"]),
        reviewer_id=m["reviewer_id"],
        decided_at=m["decided_at"],
        reason_code=m["reason_code"],
        note=m["note"],
        updated_at=m["updated_at"],
    )


def _queue_query() -> Select[Any]:
    """Each waiting status read oldest first off (status, submitted_at), then merged.

    `status IN (...) ORDER BY submitted_at` would sort every waiting row; one ordered index
    range per status stops after `limit` rows, and only those (at most 2 x limit) are sorted.
    """
    v = t.verifications
    limit = bindparam("limit", type_=Integer)
    branches = [
        select(v)
        .where(v.c.status == status.value)
        .order_by(v.c.submitted_at, v.c.id)
        .limit(limit)
        .subquery()
        for status in (IdentityStatus.SUBMITTED, IdentityStatus.IN_REVIEW)
    ]
    merged = union_all(*(select(branch) for branch in branches)).subquery()
    return select(merged).order_by(merged.c.submitted_at, merged.c.id).limit(limit)


_QUEUE = _queue_query()
_QUEUE_DOCUMENTS = select(
    t.verification_documents.c.verification_id, t.verification_documents.c.document_id
).where(t.verification_documents.c.verification_id.in_(bindparam("ids", expanding=True)))


class SqlVerificationRepository:
    """Review submissions and their history."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, verification: Verification) -> None:
        """Insert the submission and the versions it covers."""
        v = verification
        self._conn.execute(
            insert(t.verifications).values(
                id=v.id,
                account_id=v.account_id,
                status=v.status.value,
                submitted_at=v.submitted_at,
                updated_at=v.updated_at,
            )
        )
        if v.document_ids:
            self._conn.execute(
                insert(t.verification_documents),
                [{"verification_id": v.id, "document_id": d} for d in v.document_ids],
            )

    def _documents_of(self, verification_id: str) -> tuple[str, ...]:
        vd = t.verification_documents
        query = select(vd.c.document_id).where(vd.c.verification_id == verification_id)
        return tuple(sorted(self._conn.execute(query).scalars()))

    def get(self, verification_id: str, *, for_update: bool = False) -> Verification | None:
        """By id."""
        query = select(t.verifications).where(t.verifications.c.id == verification_id)
        if for_update:
            query = query.with_for_update()
        row = self._conn.execute(query).first()
        return _verification(row._mapping, self._documents_of(verification_id)) if row else None

    def current(self, account_id: str) -> Verification | None:
        """Newest submission of an account."""
        v = t.verifications
        query = (
            select(v).where(v.c.account_id == account_id).order_by(v.c.submitted_at.desc()).limit(1)
        )
        row = self._conn.execute(query).first()
        return _verification(row._mapping, self._documents_of(row._mapping["id"])) if row else None

    def save(self, verification: Verification) -> None:
        """Write back the mutable columns."""
        v = verification
        self._conn.execute(
            update(t.verifications)
            .where(t.verifications.c.id == v.id)
            .values(
                status=v.status.value,
                reviewer_id=v.reviewer_id,
                decided_at=v.decided_at,
                reason_code=v.reason_code,
                note=v.note,
                updated_at=v.updated_at,
            )
        )

    def queue(self, limit: int) -> Sequence[Verification]:
        """Waiting or under review, oldest first: two statements whatever the page size."""
        rows = list(self._conn.execute(_QUEUE, {"limit": limit}))
        documents: dict[str, list[str]] = {r._mapping["id"]: [] for r in rows}
        if documents:
            for verification_id, document_id in self._conn.execute(
                _QUEUE_DOCUMENTS, {"ids": list(documents)}
            ):
                documents[verification_id].append(document_id)
        return [_verification(r._mapping, tuple(sorted(documents[r._mapping["id"]]))) for r in rows]

    def add_entry(self, entry: ReviewEntry) -> None:
        """Append history."""
        e = entry
        self._conn.execute(
            insert(t.review_entries).values(
                id=e.id,
                verification_id=e.verification_id,
                from_status=e.from_status.value,
                to_status=e.to_status.value,
                actor_id=e.actor_id,
                at=e.at,
                reason_code=e.reason_code,
                note=e.note,
            )
        )

    def history(self, verification_id: str) -> Sequence[ReviewEntry]:
        """History, oldest first."""
        r = t.review_entries
        query = select(r).where(r.c.verification_id == verification_id).order_by(r.c.at, r.c.id)
        return [
            ReviewEntry(
                id=m["id"],
                verification_id=m["verification_id"],
                from_status=IdentityStatus(m["from_status"]),
                to_status=IdentityStatus(m["to_status"]),
                actor_id=m["actor_id"],
                at=m["at"],
                reason_code=m["reason_code"],
                note=m["note"],
            )
            for m in (row._mapping for row in self._conn.execute(query))
        ]
