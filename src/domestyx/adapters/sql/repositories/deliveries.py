"""The delivery outbox over SQLAlchemy Core."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from domestyx.adapters.sql import tables as t
from domestyx.domain.model.delivery import Delivery, DeliveryStatus, Template
from domestyx.domain.model.otp import Channel


def _delivery(m: Any) -> Delivery:
    return Delivery(
        id=m["id"],
        channel=Channel(m["channel"]),
        template=Template(m["template"]),
        destination=m["destination"],
        created_at=m["created_at"],
        expires_at=m["expires_at"],
        account_id=m["account_id"],
        purpose=m["purpose"],
        sealed_code=m["sealed_code"],
        status=DeliveryStatus(m["status"]),
        attempts=m["attempts"],
        provider_id=m["provider_id"],
        error_code=m["error_code"],
        sending_started_at=m["sending_started_at"],
        updated_at=m["updated_at"],
    )


def _delivery_values(d: Delivery) -> dict[str, Any]:
    return {
        "id": d.id,
        "channel": d.channel.value,
        "template": d.template.value,
        "destination": d.destination,
        "account_id": d.account_id,
        "purpose": d.purpose,
        "sealed_code": d.sealed_code,
        "status": d.status.value,
        "attempts": d.attempts,
        "provider_id": d.provider_id,
        "error_code": d.error_code,
        "created_at": d.created_at,
        "expires_at": d.expires_at,
        "sending_started_at": d.sending_started_at,
        "updated_at": d.updated_at,
    }


class SqlDeliveryRepository:
    """The outbox."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, delivery: Delivery) -> None:
        """Insert."""
        self._conn.execute(insert(t.deliveries).values(**_delivery_values(delivery)))

    def get(self, delivery_id: str, *, for_update: bool = False) -> Delivery | None:
        """By id."""
        query = select(t.deliveries).where(t.deliveries.c.id == delivery_id)
        if for_update:
            query = query.with_for_update()
        row = self._conn.execute(query).first()
        return _delivery(row._mapping) if row else None

    def by_provider_id(self, provider_id: str) -> Delivery | None:
        """By the provider's message id."""
        query = (
            select(t.deliveries).where(t.deliveries.c.provider_id == provider_id).with_for_update()
        )
        row = self._conn.execute(query).first()
        return _delivery(row._mapping) if row else None

    def save(self, delivery: Delivery) -> None:
        """Write back."""
        values = _delivery_values(delivery)
        self._conn.execute(
            update(t.deliveries).where(t.deliveries.c.id == values.pop("id")).values(values)
        )

    def stale_queued(self, older_than: datetime, limit: int) -> Sequence[Delivery]:
        """Waiting for a send (queued, or between retries) and untouched since `older_than`."""
        d = t.deliveries
        waiting = (DeliveryStatus.QUEUED.value, DeliveryStatus.SENDING.value)
        query = (
            select(d)
            .where(
                d.c.status.in_(waiting),
                func.coalesce(d.c.updated_at, d.c.created_at) < older_than,
            )
            .order_by(d.c.created_at)
            .limit(limit)
        )
        return [_delivery(row._mapping) for row in self._conn.execute(query)]

    def for_account(self, account_id: str, limit: int) -> Sequence[Delivery]:
        """Newest first."""
        d = t.deliveries
        query = (
            select(d)
            .where(d.c.account_id == account_id)
            .order_by(d.c.created_at.desc(), d.c.id)
            .limit(limit)
        )
        return [_delivery(row._mapping) for row in self._conn.execute(query)]
