"""Delivery under provider faults and worker crashes: once, and only once."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select

from domestyx.adapters.sql import tables as t
from domestyx.domain.model.delivery import DeliveryStatus
from tests.e2e.test_verification_flow import EMAIL, PHONE, register, send_sms, verify
from tests.stubs.base import Fault
from tests.stubs.resend_stub import resend_error
from tests.support.services import wait_until
from tests.support.stack import Stack, WorkerProcess, email_code

pytestmark = pytest.mark.e2e


def deliveries(api: Any, channel: str) -> list[Any]:
    with api.services.engine.connect() as conn:
        query = select(t.deliveries).where(t.deliveries.c.channel == channel)
        return [row._mapping for row in conn.execute(query)]


def settled(api: Any, channel: str, status: DeliveryStatus) -> bool:
    rows = deliveries(api, channel)
    return bool(rows) and all(row["status"] == status.value for row in rows)


def test_resend_500_twice_then_200_sends_exactly_one_email(
    api: Any, stack: Stack, worker: WorkerProcess
) -> None:
    stack.resend.script(Fault.answer(resend_error(500)), Fault.answer(resend_error(500)))
    register(api, stack)
    assert wait_until(lambda: settled(api, "email", DeliveryStatus.SENT), timeout=30)
    assert len(stack.resend.requests) == 3
    assert len(stack.resend.emails) == 1
    assert len({r.headers["idempotency-key"] for r in stack.resend.requests}) == 1


def test_twilio_21211_is_not_retried_and_marks_the_delivery_failed(
    api: Any, stack: Stack, worker: WorkerProcess
) -> None:
    phone = "+15005550001"  # Twilio's magic "invalid To" number
    register(api, stack, phone=phone)
    assert verify(api, "email", EMAIL, "verify_email", email_code(stack, EMAIL)).status_code == 200
    assert send_sms(api, stack, phone).status_code == 202
    assert wait_until(lambda: settled(api, "sms", DeliveryStatus.FAILED), timeout=20)
    time.sleep(3)  # a retry, if any, would arrive within the first backoff
    assert len([r for r in stack.twilio.requests if r.method == "POST"]) == 1
    assert deliveries(api, "sms")[0]["error_code"] == "twilio:21211"
    assert deliveries(api, "sms")[0]["sealed_code"] is None


def test_worker_killed_mid_sms_delivers_exactly_once_after_restart(
    api: Any, stack: Stack, worker: WorkerProcess, tmp_path: Any
) -> None:
    register(api, stack)
    assert verify(api, "email", EMAIL, "verify_email", email_code(stack, EMAIL)).status_code == 200
    stack.twilio.delay_s = 4.0  # Twilio accepts the message; the worker dies before hearing so
    posts = len([r for r in stack.twilio.requests if r.method == "POST"])
    assert send_sms(api, stack).status_code == 202
    assert stack.twilio.wait_for_requests(len(stack.twilio.requests) + 1, timeout=15)
    worker.kill()
    stack.twilio.delay_s = 0.0
    assert wait_until(lambda: len(stack.twilio.sent()) == 1, timeout=10)
    with WorkerProcess(stack.env, tmp_path / "worker2.log"):
        assert wait_until(lambda: settled(api, "sms", DeliveryStatus.SENT), timeout=40)
    assert len([m for m in stack.twilio.sent() if m["to"] == PHONE]) == 1
    assert len([r for r in stack.twilio.requests if r.method == "POST"]) == posts + 1


def test_worker_killed_mid_email_delivers_exactly_once_after_restart(
    api: Any, stack: Stack, worker: WorkerProcess, tmp_path: Any
) -> None:
    stack.resend.delay_s = 4.0
    register(api, stack)
    assert stack.resend.wait_for_requests(1, timeout=15)
    worker.kill()
    stack.resend.delay_s = 0.0
    with WorkerProcess(stack.env, tmp_path / "worker2.log"):
        assert wait_until(lambda: settled(api, "email", DeliveryStatus.SENT), timeout=40)
    assert len(stack.resend.emails) == 1
    assert len({r.headers["idempotency-key"] for r in stack.resend.requests}) == 1
