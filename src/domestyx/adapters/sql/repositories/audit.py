"""The append-only audit log over SQLAlchemy Core."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, insert, select

from domestyx.adapters.sql import tables as t
from domestyx.domain.model.audit import AuditEvent, AuditEventType

_APPEND = insert(t.audit_events)  # built once: every request appends


class SqlAuditLog:
    """Append-only: this class has no update or delete."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def append(self, event: AuditEvent) -> None:
        """Insert one event."""
        e = event
        self._conn.execute(
            _APPEND,
            {
                "id": e.id,
                "occurred_at": e.occurred_at,
                "event": e.event.value,
                "outcome": e.outcome,
                "account_id": e.account_id,
                "actor_id": e.actor_id,
                "ip": e.ip,
                "subject_id": e.subject_id,
                "details": dict(e.details),
            },
        )

    def for_account(self, account_id: str, limit: int = 100) -> Sequence[AuditEvent]:
        """Newest first."""
        a = t.audit_events
        query = select(a).where(a.c.account_id == account_id).order_by(a.c.seq.desc()).limit(limit)
        return [
            AuditEvent(
                id=m["id"],
                occurred_at=m["occurred_at"],
                event=AuditEventType(m["event"]),
                outcome=m["outcome"],
                account_id=m["account_id"],
                actor_id=m["actor_id"],
                ip=m["ip"],
                subject_id=m["subject_id"],
                details=dict(m["details"] or {}),
            )
            for m in (row._mapping for row in self._conn.execute(query))
        ]
