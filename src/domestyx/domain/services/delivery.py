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
    ProviderLimited,
    ProviderReceipt,
    SmsMessage,
    Template,
    TransientDeliveryError,
)
from domestyx.domain.model.jobs import Job
from domestyx.domain.model.keys import CodeSealer
from domestyx.domain.model.otp import Channel, OtpSlot, Purpose
from domestyx.domain.model.pauses import ChannelPause, PausePolicy
from domestyx.domain.model.templates import MessageTemplates
from domestyx.domain.services.auditor import Auditor
from domestyx.domain.services.otp import OtpService

if TYPE_CHECKING:
    from domestyx.ports.clock import Clock
    from domestyx.ports.messaging import DeliveryPauses, EmailSender, SmsSender
    from domestyx.ports.monitoring import ErrorReporter
    from domestyx.ports.repositories import UnitOfWork, UnitOfWorkFactory
    from domestyx.ports.tasks import TaskQueue

log = logging.getLogger("domestyx.delivery")
# A provider call that started this long before a restart may still have gone through.
_LOOKBACK = timedelta(minutes=5)
_Change = Callable[[Delivery, datetime], None]
# A locked, checked delivery about to be sent: the row, its message, whether it was mid-send.
_Ready = tuple[Delivery, EmailMessage | SmsMessage, bool]


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
    pauses: DeliveryPauses
    queue: TaskQueue
    reporter: ErrorReporter
    templates: MessageTemplates = MessageTemplates()
    pause_policy: PausePolicy = PausePolicy()

    def deliver(self, delivery_id: str) -> DeliveryStatus:
        """Send one message; transient errors propagate so the job is retried.

        A channel paused by a provider limit sends nothing: the message waits in the queue
        (a fresh delayed job, so no retry is spent) until the pause ends.
        """
        ready = self._prepare(delivery_id)
        if isinstance(ready, DeliveryStatus):
            return ready
        if isinstance(ready, ChannelPause):
            self._wait(delivery_id, ready)
            return DeliveryStatus.QUEUED
        delivery, message, resumed = ready
        try:
            receipt = self._recover(delivery, message) if resumed else None
            receipt = receipt or self._send(delivery, message)
        except TransientDeliveryError as exc:
            if isinstance(exc, ProviderLimited) and self._park(delivery, exc):
                return DeliveryStatus.QUEUED
            code = exc.code
            self._update(delivery_id, lambda d, now: d.record_retry(code, now))
            raise
        except PermanentDeliveryError as exc:
            self._fail(delivery_id, exc.code)
            return DeliveryStatus.FAILED
        self._update(delivery_id, lambda d, now: d.mark_sent(receipt, now))
        return DeliveryStatus.SENT

    def _prepare(self, delivery_id: str) -> _Ready | DeliveryStatus | ChannelPause:
        """Lock the row and decide: final already, expired, dead code, paused, or go."""
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
            pause = self.pauses.current(delivery.channel, now=now)
            if pause is not None:
                return pause  # nothing written: the row stays as it was
            resumed = delivery.status is DeliveryStatus.SENDING
            delivery.start_attempt(now)
            uow.deliveries.save(delivery)
            uow.commit()
        return delivery, message, resumed

    def _park(self, delivery: Delivery, refused: ProviderLimited) -> bool:
        """Pause the channel for every worker as the provider asked; alert once for a quota."""
        now = self.clock.now()
        pause = self.pause_policy.pause_for(delivery.channel, refused, now)
        if pause is None:
            return False  # a rate limit that named no wait: ordinary backoff
        started = self.pauses.pause(pause, now=now)
        if started and pause.is_quota:
            self.reporter.capture_message(
                f"{delivery.channel.value} delivery paused: provider {refused.reason}",
                level="error",
                channel=delivery.channel.value,
                reason=pause.reason,
                until=pause.until.isoformat(),
                error_code=refused.code,
            )
        self._update(delivery.id, lambda d, at: d.defer(refused.code, at))
        log.warning(
            "delivery channel paused",
            extra={"channel": delivery.channel.value, "reason": pause.reason,
                   "until": pause.until.isoformat(), "started": started},
        )  # fmt: skip
        self._wait(delivery.id, self.pauses.current(delivery.channel, now=now) or pause)
        return True

    def paused(self, channel: Channel) -> ChannelPause | None:
        """The provider pause in force on `channel`, if any (operators' view)."""
        return self.pauses.current(channel, now=self.clock.now())

    def resume(self, channel: Channel) -> bool:
        """Lift a pause now (the quota was raised); waiting jobs send at their next look."""
        lifted = self.pauses.resume(channel)
        if lifted:
            log.warning("delivery channel resumed by an operator", extra={"channel": channel.value})
        return lifted

    def _wait(self, delivery_id: str, pause: ChannelPause) -> None:
        """Look again when the pause ends (or sooner, so an operator's resume is seen)."""
        delay = self.pause_policy.wait(pause, self.clock.now())
        self.queue.enqueue_after(delay, Job.DELIVER_MESSAGE, delivery_id=delivery_id)

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

    def requeue_stale(
        self,
        queue: TaskQueue,
        older_than: timedelta,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> int:
        """Re-enqueue every message still waiting after `older_than` (operators' command).

        `progress(step, done, total)` hears of each message enqueued (for an operator's bar).
        """
        with self.uow() as uow:
            stale = uow.deliveries.stale_queued(self.clock.now() - older_than, limit=500)
        for done, delivery in enumerate(stale, 1):
            queue.enqueue(Job.DELIVER_MESSAGE, delivery_id=delivery.id)
            if progress is not None:
                progress("enqueued", done, len(stale))
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
