"""Broker loss heals by itself: the worker's sweeper re-enqueues, dead codes are never sent."""

from __future__ import annotations

import signal
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import select

from domestyx.adapters.sql import tables as t
from domestyx.domain.model.delivery import Delivery, DeliveryStatus, Template
from domestyx.domain.model.jobs import Job
from domestyx.domain.model.otp import Channel
from tests.e2e.test_verification_flow import register, verify
from tests.support.moto import s3_bucket, s3_server  # noqa: F401 - fixtures used by name
from tests.support.services import PrivateRedis, wait_until
from tests.support.stack import Stack, WorkerProcess, email_code, real_stack

pytestmark = pytest.mark.e2e
USERS = [f"user{i}@example.com" for i in range(4)]
NOTICES = [f"notice{i}@example.com" for i in range(6)]
HEAL_WITHIN = 60.0


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    """A Redis of our own, so the test can kill and restart it."""
    with PrivateRedis() as server:
        yield server


@pytest.fixture
def stack(
    tmp_path: Path,
    s3_bucket: tuple[str, str],  # noqa: F811
    private_redis: PrivateRedis,
) -> Iterator[Stack]:
    """The production-shaped stack, on the private Redis (default sweep settings)."""
    with real_stack(tmp_path, s3_bucket) as running:
        running.env["REDIS_URL"] = running.redis_url = private_redis.url
        yield running


@pytest.fixture
def api(stack: Stack) -> Iterator[Any]:
    """The real app in-process; jobs go through the private Redis."""
    from tests.support.app import build_services, http_client

    services = build_services(stack.settings())
    with http_client(services, embedded_worker=False) as client:
        client.services = services  # type: ignore[attr-defined]
        yield client


@pytest.fixture
def worker(stack: Stack, tmp_path: Path) -> Iterator[WorkerProcess]:
    """A real `domestyx worker`."""
    with WorkerProcess(stack.env, tmp_path / "worker.log") as process:
        yield process


def rows(api: Any) -> dict[str, Any]:
    with api.services.engine.connect() as conn:
        return {r.destination: r for r in conn.execute(select(t.deliveries))}


def queue_notice(api: Any, to: str) -> None:
    """A notice as a service writes it: the row, then the job."""
    services = api.services
    now = services.clock.now()
    delivery = Delivery(
        id=uuid.uuid4().hex,
        channel=Channel.EMAIL,
        template=Template.PASSWORD_CHANGED,
        destination=to,
        created_at=now,
        expires_at=now + timedelta(hours=1),
    )
    with services.uow() as uow:
        uow.deliveries.add(delivery)
        uow.commit()
    services.queue.enqueue(Job.DELIVER_MESSAGE, delivery_id=delivery.id)


def emails_to(stack: Stack, to: str) -> int:
    return sum(1 for e in stack.resend.emails if to in str(e.params["to"]))


def send_email_code(api: Any, stack: Stack, to: str) -> int:
    body = {
        "channel": "email",
        "destination": to,
        "purpose": "verify_email",
        "turnstile_token": stack.turnstile.issue("otp_send"),
    }
    return int(api.post("/api/v1/auth/otp/send", json=body).status_code)


def _pause(worker: WorkerProcess) -> None:
    assert worker.process is not None
    worker.process.send_signal(signal.SIGSTOP)


def _resume(worker: WorkerProcess) -> None:
    assert worker.process is not None
    worker.process.send_signal(signal.SIGCONT)


def _settled(api: Any) -> bool:
    current = rows(api)
    notices = all(current[n].status == DeliveryStatus.SENT.value for n in NOTICES)
    codes = all(current[u].status == DeliveryStatus.EXPIRED.value for u in USERS)
    return notices and codes


def test_redis_restart_with_deliveries_queued_heals_without_a_human(
    api: Any, stack: Stack, worker: WorkerProcess, private_redis: PrivateRedis
) -> None:
    _pause(worker)  # the worker is alive but has not taken these yet
    for user in USERS:
        register(api, stack, email=user, phone=f"+4477009001{USERS.index(user):02d}")
    for notice in NOTICES:
        queue_notice(api, notice)
    private_redis.stop()
    private_redis.start()  # same port, empty: queue, OTP codes and cooldowns are gone
    _resume(worker)
    started = time.monotonic()
    assert wait_until(lambda: _settled(api), timeout=HEAL_WITHIN), rows(api)
    assert time.monotonic() - started < HEAL_WITHIN
    time.sleep(2)  # a duplicate, if any, would follow at once
    assert [emails_to(stack, n) for n in NOTICES] == [1] * len(NOTICES)
    assert [emails_to(stack, u) for u in USERS] == [0] * len(USERS)  # no dead code went out
    with api.services.engine.connect() as conn:
        expired = conn.execute(
            select(t.audit_events).where(t.audit_events.c.event == "delivery_expired")
        ).all()
    assert len(expired) == len(USERS)
    # The user asks again: no stale cooldown blocks it, and the new code works.
    assert wait_until(lambda: send_email_code(api, stack, USERS[0]) == 202, timeout=10)
    code = email_code(stack, USERS[0], timeout=20)
    assert verify(api, "email", USERS[0], "verify_email", code).status_code == 200


def test_broker_only_loss_delivers_every_code_and_it_verifies(
    api: Any, stack: Stack, worker: WorkerProcess, private_redis: PrivateRedis
) -> None:
    _pause(worker)
    for user in USERS:
        register(api, stack, email=user, phone=f"+4477009002{USERS.index(user):02d}")
    client = redis.Redis.from_url(private_redis.url)
    lost = list(client.scan_iter("domestyx:*"))
    assert lost and not any(k.startswith(b"dx:otp:") for k in lost)
    client.delete(*lost)  # the queue's keys only; the OTP keys stay
    _resume(worker)
    assert wait_until(lambda: all(emails_to(stack, u) == 1 for u in USERS), timeout=HEAL_WITHIN), (
        rows(api)
    )
    for user in USERS:
        code = email_code(stack, user)
        assert verify(api, "email", user, "verify_email", code).status_code == 200
    assert [emails_to(stack, u) for u in USERS] == [1] * len(USERS)
