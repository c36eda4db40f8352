"""Never deliver a dead code: the worker checks the OTP store before sending (on fakes)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import attrs
import pytest

from domestyx.adapters.memory.messaging import RecordingEmailSender
from domestyx.domain.model.audit import AuditEventType, ClientContext
from domestyx.domain.model.delivery import Delivery, DeliveryStatus, Template
from domestyx.domain.model.otp import Channel, Purpose
from domestyx.domain.services.delivery import DeliveryService
from domestyx.ports.messaging import EmailSender
from tests.support.abuse_world import AbuseWorld

EMAIL = "ann@example.com"
CTX = ClientContext(ip="192.0.2.7")


@attrs.define
class World(AbuseWorld):
    """AbuseWorld whose root also sends email through a recording sender."""

    email: RecordingEmailSender = attrs.Factory(RecordingEmailSender)

    def _overrides(self) -> dict[Any, object]:
        return {**super()._overrides(), EmailSender: self.email}

    def delivery(self) -> DeliveryService:
        """The worker's service, from the same root as the code service."""
        return self.services.delivery

    def run_jobs(self) -> list[DeliveryStatus]:
        """Deliver every queued job, as the worker would."""
        return [self.delivery().deliver(ids["delivery_id"]) for _, ids in self.queue.take()]

    def codes_sent(self) -> list[str]:
        return [re.findall(r"\b\d{6}\b", m.text)[0] for m in self.email.sent]


@pytest.fixture
def world() -> World:
    w = World()
    w.account(EMAIL, "+447700900123", email_verified=False)
    return w


def test_a_live_code_is_sent(world: World) -> None:
    assert world.run_jobs() == [DeliveryStatus.SENT]
    assert len(world.email.sent) == 1


def test_a_code_lost_with_the_otp_store_is_expired_audited_and_not_sent(world: World) -> None:
    (job,) = world.queue.take()
    world.otp_store.forget_all()  # Redis restarted without persistence
    delivery_id = job[1]["delivery_id"]
    assert world.delivery().deliver(delivery_id) is DeliveryStatus.EXPIRED
    assert world.email.sent == []
    with world.db() as uow:
        stored = uow.deliveries.get(delivery_id)
    assert stored is not None and stored.status is DeliveryStatus.EXPIRED
    assert stored.sealed_code is None and stored.error_code == "code_not_live"
    (event,) = world.events(AuditEventType.DELIVERY_EXPIRED)
    assert event.subject_id == delivery_id
    # Delivering the same job again (a redelivered message) still sends nothing.
    assert world.delivery().deliver(delivery_id) is DeliveryStatus.EXPIRED
    assert world.email.sent == []


def test_after_the_loss_a_fresh_send_works_and_its_code_verifies(world: World) -> None:
    world.queue.take()
    world.otp_store.forget_all()
    world.codes.send(
        Channel.EMAIL, EMAIL, Purpose.VERIFY_EMAIL, CTX, token=world.human("otp_send")
    )  # no cooldown left
    assert world.run_jobs() == [DeliveryStatus.SENT]
    (code,) = world.codes_sent()
    result = world.codes.verify(Channel.EMAIL, EMAIL, Purpose.VERIFY_EMAIL, code, CTX)
    assert result.account.email_verified


def test_a_code_replaced_by_a_newer_one_is_not_sent(world: World) -> None:
    (old,) = world.queue.take()
    world.clock.advance(61)  # past the resend cooldown
    world.codes.send(Channel.EMAIL, EMAIL, Purpose.VERIFY_EMAIL, CTX, token=world.human("otp_send"))
    assert world.delivery().deliver(old[1]["delivery_id"]) is DeliveryStatus.EXPIRED
    assert world.run_jobs() == [DeliveryStatus.SENT]
    (code,) = world.codes_sent()
    assert world.codes.verify(Channel.EMAIL, EMAIL, Purpose.VERIFY_EMAIL, code, CTX)


def test_a_notice_needs_no_code_and_is_sent_after_the_loss(world: World) -> None:
    world.queue.take()
    world.otp_store.forget_all()
    notice = Delivery(
        id="notice-1",
        channel=Channel.EMAIL,
        template=Template.PASSWORD_CHANGED,
        destination=EMAIL,
        created_at=world.clock.now(),
        expires_at=world.clock.now() + timedelta(hours=1),
    )
    with world.db() as uow:
        uow.deliveries.add(notice)
        uow.commit()
    assert world.delivery().deliver("notice-1") is DeliveryStatus.SENT
    assert len(world.email.sent) == 1
