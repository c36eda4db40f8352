"""Stamps audit events with an id and the time, both from ports."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from domestyx.domain.model.audit import AuditEvent, AuditEventType

if TYPE_CHECKING:
    from domestyx.ports.clock import Clock
    from domestyx.ports.randomness import IdGenerator


@attrs.frozen
class Auditor:
    """Stamps events with an id and the time."""

    ids: IdGenerator
    clock: Clock

    def event(
        self,
        event: AuditEventType,
        *,
        outcome: str = "ok",
        account_id: str | None = None,
        actor_id: str | None = None,
        ip: str | None = None,
        subject_id: str | None = None,
        **details: str,
    ) -> AuditEvent:
        """A new event; `details` must never hold a secret."""
        return AuditEvent(
            id=self.ids.new_id(),
            occurred_at=self.clock.now(),
            event=event,
            outcome=outcome,
            account_id=account_id,
            actor_id=actor_id,
            ip=ip or None,
            subject_id=subject_id,
            details=details,
        )
