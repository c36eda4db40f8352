"""CallbackIntake on the in-memory fakes: once applied, once audited, and a failure is no replay."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domestyx.adapters.memory.clock import ManualClock
from domestyx.adapters.memory.replay_guard import InMemoryReplayGuard
from domestyx.adapters.memory.unit_of_work import InMemoryDatabase
from domestyx.domain.model.audit import AuditEventType
from domestyx.domain.model.delivery import Delivery, DeliveryStatus, DeliveryUpdate, Template
from domestyx.domain.model.errors import DependencyUnavailable
from domestyx.domain.model.otp import Channel
from domestyx.domain.services.callbacks import CallbackIntake, CallbackTally
from domestyx.ports.replay_guard import ReplayGuard
from tests.support.worlds import Fakes, fake_services

SID = "SM0123"
World = tuple[CallbackIntake, InMemoryDatabase, ManualClock]


@pytest.fixture
def world() -> World:
    clock, database = ManualClock(), InMemoryDatabase()
    with database() as uow:
        uow.deliveries.add(
            Delivery(
                id="d1", channel=Channel.SMS, template=Template.OTP, destination="+447700900123",
                created_at=clock.now(), expires_at=clock.now() + timedelta(minutes=10),
                status=DeliveryStatus.SENT, provider_id=SID,
            )
        )  # fmt: skip
        uow.commit()
    fakes = Fakes(clock=clock, db=database)
    intake = fake_services(fakes, {ReplayGuard: InMemoryReplayGuard()}).callbacks
    return intake, database, clock


def delivered(event_id: str | None = f"{SID}:delivered") -> list[DeliveryUpdate]:
    return [DeliveryUpdate(SID, DeliveryStatus.DELIVERED, None, event_id=event_id)]


def callbacks_audited(database: InMemoryDatabase) -> list[str]:
    return [e.outcome for e in database.state.audit if e.event is AuditEventType.DELIVERY_CALLBACK]


def test_a_replay_changes_nothing_and_is_audited_once(world: World) -> None:
    intake, database, _ = world
    assert intake.accept("twilio", delivered()) == CallbackTally(1, 1, 0)
    assert intake.accept("twilio", delivered()) == CallbackTally(1, 0, 1)
    assert callbacks_audited(database) == ["applied"]
    assert database.state.deliveries["d1"].status is DeliveryStatus.DELIVERED


def test_a_failed_apply_is_not_taken_for_a_replay_on_retry(world: World) -> None:
    intake, database, _ = world
    database.down = True
    with pytest.raises(DependencyUnavailable):
        intake.accept("twilio", delivered())
    database.down = False
    assert intake.accept("twilio", delivered()) == CallbackTally(1, 1, 0)
    assert callbacks_audited(database) == ["applied"]


def test_the_window_ends(world: World) -> None:
    intake, database, clock = world
    intake.accept("resend", delivered("msg_1"))
    clock.advance(timedelta(minutes=11))  # Svix would refuse the old timestamp by now anyway
    assert intake.accept("resend", delivered("msg_1")) == CallbackTally(1, 0, 0)
    assert callbacks_audited(database) == ["applied", "unchanged"]
