"""Provider delivery callbacks: each one applied and audited once; a replay is acknowledged."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

import attrs

from domestyx.domain.model.audit import AuditEventType
from domestyx.domain.model.delivery import DeliveryUpdate
from domestyx.domain.services.auditor import Auditor

if TYPE_CHECKING:
    from domestyx.ports.clock import Clock
    from domestyx.ports.replay_guard import ReplayGuard
    from domestyx.ports.repositories import UnitOfWork, UnitOfWorkFactory

# How long a callback's id is remembered: Svix accepts timestamps 5 minutes either side of
# now, so one signed event is acceptable for 10 minutes; Twilio signs no time at all.
REPLAY_WINDOWS = {"resend": timedelta(minutes=10), "twilio": timedelta(hours=24)}
DEFAULT_WINDOW = timedelta(hours=24)


@attrs.frozen
class CallbackTally:
    """What one callback request did."""

    received: int = 0
    applied: int = 0
    replayed: int = 0


@attrs.frozen
class CallbackIntake:
    """Claims each callback's id, then applies it: status change and audit commit together."""

    uow: UnitOfWorkFactory
    replays: ReplayGuard
    auditor: Auditor
    clock: Clock

    def accept(self, provider: str, updates: Sequence[DeliveryUpdate]) -> CallbackTally:
        """Apply the updates not seen before; replays change nothing and are not audited again."""
        applied = replayed = 0
        window = REPLAY_WINDOWS.get(provider, DEFAULT_WINDOW)
        for update in updates:
            key = f"{provider}:{update.event_id}" if update.event_id else None
            if key is not None and not self.replays.claim(key, now=self.clock.now(), window=window):
                replayed += 1
                continue
            try:
                applied += self._apply(provider, update)
            except BaseException:
                if key is not None:
                    self.replays.release(key)  # the provider retries; that retry is no replay
                raise
        return CallbackTally(len(updates), applied, replayed)

    def _apply(self, provider: str, update: DeliveryUpdate) -> bool:
        with self.uow() as uow:
            delivery = uow.deliveries.by_provider_id(update.provider_id)
            changed = delivery is not None and delivery.apply_provider_status(
                update.status, update.error_code, self.clock.now()
            )
            if delivery is not None and changed:
                uow.deliveries.save(delivery)
            self._audit(uow, provider, update, delivery_id=delivery.id if delivery else None,
                        changed=changed)  # fmt: skip
            uow.commit()
            return changed

    def _audit(
        self,
        uow: UnitOfWork,
        provider: str,
        update: DeliveryUpdate,
        *,
        delivery_id: str | None,
        changed: bool,
    ) -> None:
        uow.audit.append(
            self.auditor.event(
                AuditEventType.DELIVERY_CALLBACK,
                outcome="applied" if changed else "unchanged",
                subject_id=delivery_id,
                provider=provider,
                status=update.status.value,
                event_id=(update.event_id or "")[:100],
            )
        )
