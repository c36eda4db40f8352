"""Delivering outbox messages once, recording outcomes and provider callbacks."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import attrs

from domestyx.domain.model.audit import AuditEventType
from domestyx.domain.model.delivery import (
    Delivery,
    DeliveryStatus,
    EmailMessage,
    PermanentDeliveryError,
    ProviderReceipt,
    SmsMessage,
    Template,
    TransientDeliveryError,
)
from domestyx.domain.model.jobs import Job
from domestyx.domain.model.keys import CodeSealer
from domestyx.domain.model.otp import Channel, OtpSlot, Purpose
from domestyx.domain.model.templates import MessageTemplates
from domestyx.domain.services.auditor import Auditor
from domestyx.domain.services.otp import OtpService

if TYPE_CHECKING:
    from domestyx.ports.clock import Clock
    from domestyx.ports.messaging import EmailSender, SmsSender
    from domestyx.ports.repositories import UnitOfWork, UnitOfWorkFactory
    from domestyx.ports.tasks import TaskQueue

log = logging.getLogger("domestyx.delivery")
# A provider call that started this long before a restart may still have gone through.
_LOOKBACK = timedelta(minutes=5)
_Change = Callable[[Delivery, datetime], None]


@attrs.frozen
class DeliveryService:
    """Sends each queued message at most once and keeps its record current."""

    uow: UnitOfWorkFactory
    email: EmailSender
    sms: SmsSender
    sealer: CodeSealer
    clock: Clock
    auditor: Auditor
    otp: OtpService
    templates: MessageTemplates = MessageTemplates()

    def deliver(self, delivery_id: str) -> DeliveryStatus:
        """Send one message; transient errors propagate so the job is retried."""
        with self.uow() as uow:
            delivery = uow.deliveries.get(delivery_id, for_update=True)
            if delivery is None or delivery.is_final:
                return delivery.status if delivery else DeliveryStatus.EXPIRED
            now = self.clock.now()
            if delivery.expires_at <= now:
                delivery.mark_failed("expired", now, DeliveryStatus.EXPIRED)
                uow.deliveries.save(delivery)
                uow.commit()
                return delivery.status
            message = self._render(delivery)
            if delivery.template is Template.OTP and not self._code_is_live(delivery):
                self._expire(uow, delivery, now)
                return DeliveryStatus.EXPIRED
            resumed = delivery.status is DeliveryStatus.SENDING
            delivery.start_attempt(now)
            uow.deliveries.save(delivery)
            uow.commit()
        try:
            receipt = self._recover(delivery, message) if resumed else None
            receipt = receipt or self._send(delivery, message)
        except TransientDeliveryError as exc:
            code = exc.code
            self._update(delivery_id, lambda d, now: d.record_retry(code, now))
            raise
        except PermanentDeliveryError as exc:
            self._fail(delivery_id, exc.code)
            return DeliveryStatus.FAILED
        self._update(delivery_id, lambda d, now: d.mark_sent(receipt, now))
        return DeliveryStatus.SENT

    def _code_is_live(self, d: Delivery) -> bool:
        """A code lost with the OTP store (or replaced by a newer one) would not verify."""
        code = self.sealer.unseal(d.sealed_code or "", d.id)
        return self.otp.is_live(OtpSlot(Purpose(d.purpose or ""), d.destination), code)

    def _expire(self, uow: UnitOfWork, delivery: Delivery, now: datetime) -> None:
        """Never send a dead code: mark it expired and audit why."""
        delivery.mark_failed("code_not_live", now, DeliveryStatus.EXPIRED)
        uow.deliveries.save(delivery)
        uow.audit.append(
            self.auditor.event(
                AuditEventType.DELIVERY_EXPIRED,
                outcome="expired",
                account_id=delivery.account_id,
                subject_id=delivery.id,
                channel=delivery.channel.value,
                error_code="code_not_live",
            )
        )
        uow.commit()
        log.info("dead code not sent", extra={"delivery_id": delivery.id})

    def _render(self, d: Delivery) -> EmailMessage | SmsMessage:
        if d.template is Template.OTP:
            code = self.sealer.unseal(d.sealed_code or "", d.id)
            if d.channel is Channel.SMS:
                return self.templates.otp_sms(d.destination, code, d.purpose or "")
            return self.templates.otp_email(d.destination, code, d.purpose or "")
        return self.templates.notice_email(d.destination, d.template)

    def _recover(self, d: Delivery, message: EmailMessage | SmsMessage) -> ProviderReceipt | None:
        """After a crash mid-send, ask the SMS provider before sending again."""
        if isinstance(message, SmsMessage):
            since = (d.sending_started_at or d.created_at) - _LOOKBACK
            found = self.sms.find_sent(message, since=since)
            if found is not None:
                log.info("delivery recovered from provider", extra={"delivery_id": d.id})
            return found
        return None  # email is protected by the provider's idempotency key

    def _send(self, d: Delivery, message: EmailMessage | SmsMessage) -> ProviderReceipt:
        if isinstance(message, SmsMessage):
            return self.sms.send(message)
        return self.email.send(message, idempotency_key=d.idempotency_key)

    def _update(self, delivery_id: str, change: _Change) -> None:
        with self.uow() as uow:
            delivery = uow.deliveries.get(delivery_id, for_update=True)
            if delivery is not None:
                change(delivery, self.clock.now())
                uow.deliveries.save(delivery)
                uow.commit()

    def _fail(self, delivery_id: str, code: str) -> None:
        with self.uow() as uow:
            delivery = uow.deliveries.get(delivery_id, for_update=True)
            if delivery is None or delivery.is_final:
                return
            delivery.mark_failed(code, self.clock.now())
            uow.deliveries.save(delivery)
            uow.audit.append(
                self.auditor.event(
                    AuditEventType.DELIVERY_FAILED,
                    outcome="failed",
                    account_id=delivery.account_id,
                    subject_id=delivery.id,
                    channel=delivery.channel.value,
                    error_code=code,
                )
            )
            uow.commit()
        log.warning("delivery failed permanently", extra={"delivery_id": delivery_id, "code": code})

    def give_up(self, delivery_id: str, reason: str) -> None:
        """Retries are exhausted: record it (the worker reports the dead letter once)."""
        self._fail(delivery_id, reason)

    def requeue_stale(self, queue: TaskQueue, older_than: timedelta) -> int:
        """Re-enqueue every message still waiting after `older_than` (operators' command)."""
        with self.uow() as uow:
            stale = uow.deliveries.stale_queued(self.clock.now() - older_than, limit=500)
        for delivery in stale:
            queue.enqueue(Job.DELIVER_MESSAGE, delivery_id=delivery.id)
        return len(stale)

    def requeue_lost(self, queue: TaskQueue, older_than: timedelta) -> int:
        """Re-enqueue waiting messages the broker no longer holds (it restarted or lost keys)."""
        held = queue.held_ids(Job.DELIVER_MESSAGE, "delivery_id")
        if held is None:
            return 0
        with self.uow() as uow:
            stale = uow.deliveries.stale_queued(self.clock.now() - older_than, limit=500)
        lost = [d for d in stale if d.id not in held]
        for delivery in lost:
            queue.enqueue(Job.DELIVER_MESSAGE, delivery_id=delivery.id)
        if lost:
            log.warning("requeued lost deliveries", extra={"count": len(lost)})
        return len(lost)
