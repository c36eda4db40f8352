"""Pending contact changes over SQLAlchemy Core."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, insert, select

from domestyx.adapters.sql import tables as t
from domestyx.domain.model.contact_changes import ContactChange
from domestyx.domain.model.otp import Channel


def _change(m: Any) -> ContactChange:
    return ContactChange(
        account_id=m["account_id"],
        channel=Channel(m["channel"]),
        new_value=m["new_value"],
        requested_at=m["requested_at"],
        expires_at=m["expires_at"],
    )


class SqlContactChangeRepository:
    """contact_changes table: one row per account and channel."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def put(self, change: ContactChange) -> None:
        """Delete-then-insert inside the caller's transaction (the account row is locked)."""
        self.discard(change.account_id, change.channel)
        self._conn.execute(
            insert(t.contact_changes).values(
                account_id=change.account_id,
                channel=change.channel.value,
                new_value=change.new_value,
                requested_at=change.requested_at,
                expires_at=change.expires_at,
            )
        )

    def get(
        self, account_id: str, channel: Channel, *, for_update: bool = False
    ) -> ContactChange | None:
        """One pending change."""
        c = t.contact_changes.c
        query = select(t.contact_changes).where(
            c.account_id == account_id, c.channel == channel.value
        )
        if for_update:
            query = query.with_for_update()
        row = self._conn.execute(query).first()
        return _change(row._mapping) if row else None

    def discard(self, account_id: str, channel: Channel | None = None) -> None:
        """Forget one channel's change, or all of them."""
        c = t.contact_changes.c
        query = delete(t.contact_changes).where(c.account_id == account_id)
        if channel is not None:
            query = query.where(c.channel == channel.value)
        self._conn.execute(query)
