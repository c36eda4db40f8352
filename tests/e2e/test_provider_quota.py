"""Issue 15: a Resend daily quota parks email (one alert, no retry storm) while SMS goes on,
and email resumes after the reset; a real worker process on MariaDB and Redis."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from domestyx.adapters.sql import tables as t
from domestyx.domain.model.delivery import DeliveryStatus
from tests.e2e.test_broker_loss import queue_notice
from tests.e2e.test_verification_flow import EMAIL, PHONE, register, send_sms, verify
from tests.stubs.sentry_stub import SentryStub
from tests.support.services import wait_until
from tests.support.stack import Stack, WorkerProcess, email_code, sms_code

pytestmark = pytest.mark.e2e
NOTICES = [f"notice{i}@example.com" for i in range(6)]
RESETS_IN = 8.0  # seconds until the stub's quota resets; Retry-After says so


@pytest.fixture
def sentry() -> Iterator[SentryStub]:
    """Where the worker's alerts land."""
    with SentryStub() as stub:
        yield stub


@pytest.fixture
def worker(stack: Stack, sentry: SentryStub, tmp_path: Path) -> Iterator[WorkerProcess]:
    """A `domestyx worker` reporting to the Sentry stub; quota pauses may be short here."""
    env = {**stack.env, "SENTRY_DSN_BACKEND": sentry.dsn, "PROVIDER_QUOTA_MIN_PAUSE_SECONDS": "1"}
    with WorkerProcess(env, tmp_path / "worker.log") as process:
        yield process


def statuses(api: Any) -> dict[str, str]:
    with api.services.engine.connect() as conn:
        query = select(t.deliveries.c.destination, t.deliveries.c.status)
        return {row.destination: row.status for row in conn.execute(query)}


def quota_alerts(sentry: SentryStub) -> list[dict[str, Any]]:
    return [e for e in sentry.events if "delivery paused" in str(e.get("message", ""))
            or "delivery paused" in str(e.get("logentry", ""))]  # fmt: skip


def test_daily_quota_one_alert_no_retry_storm_sms_goes_on_email_resumes(
    api: Any, stack: Stack, worker: WorkerProcess, sentry: SentryStub
) -> None:
    register(api, stack)
    assert verify(api, "email", EMAIL, "verify_email", email_code(stack, EMAIL)).status_code == 200
    stack.resend.exhaust_quota("daily_quota_exceeded", resets_in=RESETS_IN)
    reset_at = time.monotonic() + RESETS_IN
    for notice in NOTICES:
        queue_notice(api, notice)
    assert send_sms(api, stack).status_code == 202

    # SMS goes on while email waits.
    code = sms_code(stack, PHONE, timeout=RESETS_IN - 2)
    assert time.monotonic() < reset_at
    waiting = {n: statuses(api)[n] for n in NOTICES}
    # Waiting (a refusal in flight may still show `sending` for a moment); none went out.
    assert set(waiting.values()) <= {"queued", "sending"}, waiting
    assert not any(n in e.params["to"] for n in NOTICES for e in stack.resend.emails)
    assert verify(api, "sms", PHONE, "verify_phone", code).status_code == 200

    # After the reset every notice goes out exactly once.
    sent = DeliveryStatus.SENT.value
    assert wait_until(lambda: all(statuses(api)[n] == sent for n in NOTICES), timeout=40), statuses(
        api
    )
    assert time.monotonic() >= reset_at
    time.sleep(2)  # a duplicate, if any, would follow at once
    for notice in NOTICES:
        assert sum(1 for e in stack.resend.emails if notice in e.params["to"]) == 1
    # No retry storm: the first refusals paused email for every worker thread; nobody else asked.
    assert 1 <= stack.resend.quota_refusals <= 2
    assert wait_until(lambda: len(quota_alerts(sentry)) >= 1, timeout=10)
    time.sleep(1)
    assert len(quota_alerts(sentry)) == 1, [e.get("message") for e in sentry.events]
    alert = quota_alerts(sentry)[0]
    assert alert["tags"]["reason"] == "quota:daily" and alert["level"] == "error"
