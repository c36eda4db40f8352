"""DeliveryService on fakes: at most once, crash recovery, retries, failures, expiry, callbacks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs
import pytest

from domestyx.adapters.memory.messaging import RecordingEmailSender, RecordingSmsSender
from domestyx.adapters.memory.otp_store import InMemoryOtpStore
from domestyx.adapters.memory.tasks import RecordingTaskQueue
from domestyx.adapters.twilio.webhooks import TwilioStatusWebhook
from domestyx.domain.model.audit import AuditEventType
from domestyx.domain.model.delivery import (
    Delivery,
    DeliveryStatus,
    DeliveryUpdate,
    PermanentDeliveryError,
    Template,
    TransientDeliveryError,
)
from domestyx.domain.model.errors import DependencyUnavailable
from domestyx.domain.model.jobs import Job
from domestyx.domain.model.keys import CodeSealer, KeyedHasher
from domestyx.domain.model.otp import Channel, OtpSlot, Purpose
from domestyx.domain.model.templates import MessageTemplates
from domestyx.domain.services.delivery import DeliveryService
from domestyx.entrypoints.adapters import WEBHOOKS
from domestyx.entrypoints.services import Services
from domestyx.ports.messaging import EmailSender, SmsSender
from domestyx.ports.otp_store import OtpStore
from domestyx.ports.tasks import TaskQueue
from tests.support.worlds import Fakes, fake_services, unit_settings

CODE = "493817"
EMAIL = "ann@example.com"
PHONE = "+447700900123"


@attrs.define
class DeliveryWorld:
    """The root's DeliveryService over recording providers and the in-memory database."""

    fakes: Fakes = attrs.Factory(Fakes)
    email: RecordingEmailSender = attrs.Factory(RecordingEmailSender)
    sms: RecordingSmsSender = attrs.Factory(RecordingSmsSender)
    queue: RecordingTaskQueue = attrs.Factory(RecordingTaskQueue)
    sealer: CodeSealer = CodeSealer(b"s" * 32)
    hasher: KeyedHasher = KeyedHasher(b"h" * 32)
    otp_store: InMemoryOtpStore = attrs.Factory(InMemoryOtpStore)
    services: Services = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.services = self.build()

    def build(self, more: dict[Any, object] | None = None, **env: str) -> Services:
        """The root over these fakes, with further overrides or environment variables."""
        overrides = {
            EmailSender: self.email, SmsSender: self.sms, TaskQueue: self.queue,
            CodeSealer: self.sealer, KeyedHasher: self.hasher, OtpStore: self.otp_store,
            **(more or {}),
        }  # fmt: skip
        return fake_services(self.fakes, overrides, unit_settings(**env))

    @property
    def service(self) -> DeliveryService:
        return self.services.delivery

    def queued(
        self, channel: Channel = Channel.EMAIL, template: Template = Template.OTP, **changes: Any
    ) -> Delivery:
        """A queued message as the code service writes it (the code sealed to its id)."""
        now = self.fakes.clock.now()
        delivery = Delivery(
            id=self.fakes.ids.new_id(),
            channel=channel,
            template=template,
            destination=EMAIL if channel is Channel.EMAIL else PHONE,
            created_at=now,
            expires_at=now + timedelta(minutes=10),
            account_id="a" * 32,
            purpose="verify_email" if channel is Channel.EMAIL else "verify_phone",
        )
        if template is Template.OTP:
            delivery.sealed_code = self.sealer.seal(CODE, delivery.id)
            self.issue(delivery)
        for key, value in changes.items():
            setattr(delivery, key, value)
        with self.fakes.db() as uow:
            uow.deliveries.add(delivery)
            uow.commit()
        return delivery

    def issue(self, delivery: Delivery) -> None:
        """The live code in the OTP store, as the code service leaves it."""
        slot = OtpSlot(Purpose(delivery.purpose or ""), delivery.destination)
        self.otp_store.issue(
            slot.key(self.hasher), slot.code_hash(self.hasher, CODE), account_id=None,
            now=self.fakes.clock.now(), valid_for=timedelta(minutes=10),
            cooldown=timedelta(0), max_attempts=5,
        )  # fmt: skip

    def stored(self, delivery_id: str) -> Delivery:
        with self.fakes.db() as uow:
            delivery = uow.deliveries.get(delivery_id)
        assert delivery is not None
        return delivery

    def failed_events(self) -> list[Any]:
        return [e for e in self.fakes.db.state.audit if e.event is AuditEventType.DELIVERY_FAILED]


@pytest.fixture
def world() -> DeliveryWorld:
    return DeliveryWorld()


class TestSending:
    def test_an_email_code_is_sent_once_and_then_forgotten(self, world: DeliveryWorld) -> None:
        d = world.queued()
        assert world.service.deliver(d.id) is DeliveryStatus.SENT
        (message,) = world.email.sent
        assert message.to == EMAIL and CODE in message.text and CODE not in message.subject
        stored = world.stored(d.id)
        assert stored.status is DeliveryStatus.SENT and stored.provider_id == "email-1"
        assert stored.sealed_code is None and stored.attempts == 1

    def test_an_sms_code_is_sent_with_no_callback_unless_twilio_is_configured(
        self, world: DeliveryWorld
    ) -> None:
        d = world.queued(Channel.SMS)
        assert world.service.deliver(d.id) is DeliveryStatus.SENT
        (message,) = world.sms.messages
        assert message.to == PHONE and CODE in message.body and message.status_callback is None
        assert world.stored(d.id).provider_id == world.sms.sent[0][2].provider_id

    def test_with_twilio_the_sms_asks_for_status_callbacks(self, world: DeliveryWorld) -> None:
        hooks = {"twilio": TwilioStatusWebhook("t" * 32)}
        service = world.build({WEBHOOKS: hooks}, PUBLIC_BASE_URL="https://x.example").delivery
        service.deliver(world.queued(Channel.SMS).id)
        (message,) = world.sms.messages
        assert message.status_callback == "https://x.example/api/v1/webhooks/twilio/status"

    def test_a_notice_carries_no_code(self, world: DeliveryWorld) -> None:
        d = world.queued(template=Template.PASSWORD_CHANGED)
        assert world.service.deliver(d.id) is DeliveryStatus.SENT
        (message,) = world.email.sent
        assert message.to == EMAIL and CODE not in message.text

    def test_a_sent_or_final_message_is_never_sent_again(self, world: DeliveryWorld) -> None:
        d = world.queued()
        world.service.deliver(d.id)
        assert world.service.deliver(d.id) is DeliveryStatus.SENT
        bounced = world.queued(status=DeliveryStatus.BOUNCED)
        assert world.service.deliver(bounced.id) is DeliveryStatus.BOUNCED
        assert len(world.email.sent) == 1

    def test_an_unknown_id_sends_nothing(self, world: DeliveryWorld) -> None:
        assert world.service.deliver("0" * 32) is DeliveryStatus.EXPIRED
        assert world.email.sent == [] and world.sms.sent == []


class TestExpiry:
    def test_a_message_past_its_code_lifetime_is_expired_unsent(self, world: DeliveryWorld) -> None:
        d = world.queued(Channel.SMS)
        world.fakes.clock.advance(timedelta(minutes=10))
        assert world.service.deliver(d.id) is DeliveryStatus.EXPIRED
        stored = world.stored(d.id)
        assert stored.status is DeliveryStatus.EXPIRED and stored.error_code == "expired"
        assert stored.sealed_code is None and stored.attempts == 0
        assert world.sms.sent == []

    def test_one_second_before_expiry_it_is_still_sent(self, world: DeliveryWorld) -> None:
        d = world.queued()
        world.fakes.clock.advance(timedelta(minutes=10) - timedelta(seconds=1))
        assert world.service.deliver(d.id) is DeliveryStatus.SENT


class TestCrashRecovery:
    """A worker died between marking SENDING and recording the outcome; the job runs again."""

    def test_sms_already_accepted_is_recorded_not_resent(self, world: DeliveryWorld) -> None:
        d = world.queued(Channel.SMS)
        world.service.deliver(d.id)
        first = world.stored(d.id).provider_id
        # Back to the crash point: the provider has it, our record still says SENDING.
        crashed = world.stored(d.id)
        crashed.status, crashed.provider_id = DeliveryStatus.SENDING, None
        crashed.sealed_code = world.sealer.seal(CODE, d.id)
        with world.fakes.db() as uow:
            uow.deliveries.save(crashed)
            uow.commit()
        assert world.service.deliver(d.id) is DeliveryStatus.SENT
        assert len(world.sms.sent) == 1
        stored = world.stored(d.id)
        assert stored.provider_id == first and stored.sealed_code is None
        assert stored.attempts == 2

    def test_sms_the_provider_never_got_is_sent_once(self, world: DeliveryWorld) -> None:
        now = world.fakes.clock.now()
        d = world.queued(Channel.SMS, status=DeliveryStatus.SENDING, sending_started_at=now)
        assert world.service.deliver(d.id) is DeliveryStatus.SENT
        assert len(world.sms.sent) == 1

    def test_email_is_resent_with_the_same_idempotency_key(self, world: DeliveryWorld) -> None:
        d = world.queued()
        # The first attempt reached Resend before the crash (Resend keeps the key for 24 h).
        message = MessageTemplates().otp_email(EMAIL, CODE, "verify_email")
        receipt = world.email.send(message, idempotency_key=d.idempotency_key)
        crashed = world.stored(d.id)
        crashed.status = DeliveryStatus.SENDING
        with world.fakes.db() as uow:
            uow.deliveries.save(crashed)
            uow.commit()
        assert world.service.deliver(d.id) is DeliveryStatus.SENT
        assert len(world.email.sent) == 1  # the provider deduplicated on the key
        assert world.stored(d.id).provider_id == receipt.provider_id


class TestRetries:
    def test_a_transient_error_is_recorded_and_raised_for_a_retry(
        self, world: DeliveryWorld
    ) -> None:
        d = world.queued()
        world.email.failures.append(TransientDeliveryError("rate_limited", "429"))
        with pytest.raises(TransientDeliveryError):
            world.service.deliver(d.id)
        stored = world.stored(d.id)
        assert stored.status is DeliveryStatus.SENDING and stored.error_code == "rate_limited"
        assert stored.sealed_code is not None  # kept: the retry still needs the code
        assert world.service.deliver(d.id) is DeliveryStatus.SENT
        assert world.stored(d.id).attempts == 2 and len(world.email.sent) == 1

    def test_sms_retries_ask_the_provider_first_and_send_once(self, world: DeliveryWorld) -> None:
        d = world.queued(Channel.SMS)
        world.sms.failures.extend([TransientDeliveryError("timeout")] * 2)
        for _ in range(2):
            with pytest.raises(TransientDeliveryError):
                world.service.deliver(d.id)
        assert world.service.deliver(d.id) is DeliveryStatus.SENT
        assert len(world.sms.sent) == 1 and world.stored(d.id).attempts == 3

    def test_a_database_outage_before_sending_sends_nothing(self, world: DeliveryWorld) -> None:
        d = world.queued()
        world.fakes.db.down = True
        with pytest.raises(DependencyUnavailable):
            world.service.deliver(d.id)
        assert world.email.sent == []


class TestPermanentFailure:
    def test_it_is_recorded_audited_and_the_code_erased(self, world: DeliveryWorld) -> None:
        d = world.queued(Channel.SMS)
        world.sms.failures.append(PermanentDeliveryError("invalid_number", "21211"))
        assert world.service.deliver(d.id) is DeliveryStatus.FAILED
        stored = world.stored(d.id)
        assert stored.status is DeliveryStatus.FAILED and stored.error_code == "invalid_number"
        assert stored.sealed_code is None
        (event,) = world.failed_events()
        assert event.subject_id == d.id and event.account_id == d.account_id
        assert world.service.deliver(d.id) is DeliveryStatus.FAILED  # final: no second try
        assert world.sms.sent == []

    def test_giving_up_after_retries_fails_it_once(self, world: DeliveryWorld) -> None:
        d = world.queued()
        world.service.give_up(d.id, "dead_letter:TransientDeliveryError")
        world.service.give_up(d.id, "dead_letter:TransientDeliveryError")
        stored = world.stored(d.id)
        assert stored.status is DeliveryStatus.FAILED and stored.sealed_code is None
        assert stored.error_code == "dead_letter:TransientDeliveryError"
        assert len(world.failed_events()) == 1

    def test_giving_up_on_an_unknown_id_changes_nothing(self, world: DeliveryWorld) -> None:
        world.service.give_up("0" * 32, "dead_letter:X")
        assert world.failed_events() == []


class TestProviderCallbacks:
    """Callbacks about what DeliveryService sent, through the intake the root wires to it."""

    def sent(self, world: DeliveryWorld) -> Delivery:
        d = world.queued(Channel.SMS)
        world.service.deliver(d.id)
        return world.stored(d.id)

    def callback(
        self, world: DeliveryWorld, d: Delivery, status: DeliveryStatus, code: str | None = None
    ) -> int:
        update = DeliveryUpdate(d.provider_id or "", status, code)  # no event id: no replay check
        return world.services.callbacks.accept("twilio", [update]).applied

    def test_delivered_moves_it_forward(self, world: DeliveryWorld) -> None:
        d = self.sent(world)
        assert self.callback(world, d, DeliveryStatus.DELIVERED) == 1
        assert world.stored(d.id).status is DeliveryStatus.DELIVERED

    def test_undelivered_keeps_the_provider_code(self, world: DeliveryWorld) -> None:
        d = self.sent(world)
        assert self.callback(world, d, DeliveryStatus.UNDELIVERED, "30003") == 1
        stored = world.stored(d.id)
        assert stored.status is DeliveryStatus.UNDELIVERED and stored.error_code == "30003"

    def test_stale_repeated_and_late_callbacks_change_nothing(self, world: DeliveryWorld) -> None:
        d = self.sent(world)
        assert self.callback(world, d, DeliveryStatus.SENDING) == 0  # backwards
        assert self.callback(world, d, DeliveryStatus.SENT) == 0  # repeated
        self.callback(world, d, DeliveryStatus.DELIVERED)
        assert self.callback(world, d, DeliveryStatus.BOUNCED, "late") == 0  # after final
        assert world.stored(d.id).status is DeliveryStatus.DELIVERED

    def test_an_unknown_provider_id_is_ignored(self, world: DeliveryWorld) -> None:
        update = DeliveryUpdate("SM" + "0" * 32, DeliveryStatus.DELIVERED, None)
        assert world.services.callbacks.accept("twilio", [update]).applied == 0


class TestRequeue:
    def test_only_messages_queued_too_long_are_requeued(self, world: DeliveryWorld) -> None:
        old = world.queued()
        world.fakes.clock.advance(timedelta(minutes=3))
        world.queued()  # fresh: its first enqueue may still be on its way
        world.queued(status=DeliveryStatus.SENT)
        assert world.service.requeue_stale(world.queue, timedelta(minutes=2)) == 1
        assert world.queue.take() == [(Job.DELIVER_MESSAGE, {"delivery_id": old.id})]

    def test_progress_hears_of_each_message_requeued(self, world: DeliveryWorld) -> None:
        world.queued(), world.queued()
        world.fakes.clock.advance(timedelta(minutes=3))
        heard: list[tuple[str, int, int]] = []
        count = world.service.requeue_stale(
            world.queue, timedelta(minutes=2), lambda *step: heard.append(step)
        )
        assert count == 2 and heard == [("enqueued", 1, 2), ("enqueued", 2, 2)]

    def test_the_sweep_requeues_only_what_the_broker_lost(self, world: DeliveryWorld) -> None:
        held, lost = world.queued(), world.queued()
        between_retries = world.queued(status=DeliveryStatus.SENDING)
        world.queue.enqueue(Job.DELIVER_MESSAGE, delivery_id=held.id)
        world.fakes.clock.advance(timedelta(seconds=31))
        fresh = world.queued()  # younger than the threshold: left alone
        assert world.service.requeue_lost(world.queue, timedelta(seconds=30)) == 2
        requeued = {ids["delivery_id"] for _, ids in world.queue.take()} - {held.id}
        assert requeued == {lost.id, between_retries.id} and fresh.id not in requeued
        # Nothing lost any more: a second sweep adds nothing.
        for d in (held, lost, between_retries):
            world.queue.enqueue(Job.DELIVER_MESSAGE, delivery_id=d.id)
        assert world.service.requeue_lost(world.queue, timedelta(seconds=30)) == 0
