"""Provider limits on fakes with a fake clock: a quota parks email (one alert, no retry spent),
SMS goes on, email resumes at the reset; Retry-After decides how long a limit pauses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domestyx.adapters.memory.pauses import InMemoryDeliveryPauses
from domestyx.domain.model.delivery import DeliveryStatus, ProviderLimited, Template
from domestyx.domain.model.jobs import Job
from domestyx.domain.model.otp import Channel
from domestyx.domain.model.pauses import (
    ChannelPause,
    PausePolicy,
    next_reset,
    retry_after_from_headers,
    retry_after_seconds,
)
from domestyx.ports.messaging import DeliveryPauses
from tests.unit.test_delivery_service import DeliveryWorld

DAILY = "resend:429:daily_quota_exceeded"
MIDNIGHT = datetime(2026, 1, 2, tzinfo=UTC)  # the ManualClock starts at 2026-01-01 12:00 UTC


def quota(kind: str = "daily", retry_after_s: float | None = None) -> ProviderLimited:
    return ProviderLimited(f"resend:429:{kind}_quota_exceeded", retry_after_s=retry_after_s,
                           quota=kind)  # fmt: skip


def notices(world: DeliveryWorld, count: int) -> list[str]:
    """Email notices that stay deliverable for two days (longer than a daily pause)."""
    expires = world.fakes.clock.now() + timedelta(days=2)
    return [
        world.queued(template=Template.PASSWORD_CHANGED, expires_at=expires).id
        for _ in range(count)
    ]


@pytest.fixture
def world() -> DeliveryWorld:
    return DeliveryWorld()


class TestDailyQuota:
    def test_parks_every_email_with_one_alert_and_no_retry_spent(
        self, world: DeliveryWorld
    ) -> None:
        world.email.failures.append(quota())
        ids = notices(world, 5)
        statuses = [world.service.deliver(i) for i in ids]  # none raises: no retry is spent
        assert statuses == [DeliveryStatus.QUEUED] * 5
        assert world.email.calls == 1  # the first refusal paused email; nobody asked again
        assert world.email.sent == []
        assert len(world.fakes.reporter.messages) == 1
        message, level, context = world.fakes.reporter.messages[0]
        assert level == "error" and "email" in message
        assert context["reason"] == "quota:daily" and context["until"] == MIDNIGHT.isoformat()
        assert sorted(ids) == sorted(ids_ for _, ids_ in world.queue.jobs for ids_ in ids_.values())
        assert all(job is Job.DELIVER_MESSAGE for job, _ in world.queue.jobs)

    def test_the_refused_message_goes_back_to_waiting(self, world: DeliveryWorld) -> None:
        world.email.failures.append(quota())
        (first,) = notices(world, 1)
        world.service.deliver(first)
        stored = world.stored(first)
        assert stored.status is DeliveryStatus.QUEUED and stored.error_code == DAILY

    def test_waiting_jobs_look_again_at_least_every_recheck_interval(
        self, world: DeliveryWorld
    ) -> None:
        world.email.failures.append(quota())
        (first,) = notices(world, 1)
        world.service.deliver(first)
        assert world.queue.delays == [PausePolicy().recheck_every]

    def test_email_resumes_after_the_next_utc_midnight(self, world: DeliveryWorld) -> None:
        world.email.failures.append(quota())
        ids = notices(world, 3)
        for delivery_id in ids:
            world.service.deliver(delivery_id)
        world.fakes.clock.advance(MIDNIGHT - world.fakes.clock.now() - timedelta(seconds=1))
        assert world.service.deliver(ids[0]) is DeliveryStatus.QUEUED
        assert world.email.calls == 1  # still paused one second before the reset
        world.fakes.clock.advance(timedelta(seconds=1))
        assert [world.service.deliver(i) for i in ids] == [DeliveryStatus.SENT] * 3
        assert len(world.email.sent) == 3
        assert len(world.fakes.reporter.messages) == 1

    def test_sms_and_other_channels_go_on(self, world: DeliveryWorld) -> None:
        world.email.failures.append(quota())
        (email,) = notices(world, 1)
        world.service.deliver(email)
        sms = world.queued(Channel.SMS)
        assert world.service.deliver(sms.id) is DeliveryStatus.SENT
        assert len(world.sms.messages) == 1

    def test_another_worker_sees_the_pause(self, world: DeliveryWorld) -> None:
        shared = InMemoryDeliveryPauses()
        first = world.build({DeliveryPauses: shared})
        second = world.build({DeliveryPauses: shared})
        world.email.failures.append(quota())
        a, b = notices(world, 2)
        first.delivery.deliver(a)
        assert second.delivery.deliver(b) is DeliveryStatus.QUEUED
        assert world.email.calls == 1

    def test_an_otp_email_whose_code_died_while_parked_is_expired_not_sent(
        self, world: DeliveryWorld
    ) -> None:
        world.email.failures.append(quota(retry_after_s=120))
        code = world.queued()  # an OTP email, its code valid for 10 minutes
        assert world.service.deliver(code.id) is DeliveryStatus.QUEUED
        world.fakes.clock.advance(timedelta(minutes=11))
        assert world.service.deliver(code.id) is DeliveryStatus.EXPIRED
        assert world.email.sent == []


class TestHowLongAPauseLasts:
    def test_retry_after_wins_over_the_midnight_guess(self, world: DeliveryWorld) -> None:
        world.email.failures.append(quota(retry_after_s=600))
        (first,) = notices(world, 1)
        world.service.deliver(first)
        pause = world.service.paused(Channel.EMAIL)
        assert pause is not None
        assert pause.until == world.fakes.clock.now() + timedelta(minutes=10)

    def test_a_quota_pause_lasts_at_least_the_floor(self, world: DeliveryWorld) -> None:
        world.email.failures.append(quota(retry_after_s=1))
        (first,) = notices(world, 1)
        world.service.deliver(first)
        pause = world.service.paused(Channel.EMAIL)
        assert pause is not None
        assert pause.until == world.fakes.clock.now() + PausePolicy().min_quota_pause

    def test_the_floor_comes_from_the_settings(self, world: DeliveryWorld) -> None:
        services = world.build(PROVIDER_QUOTA_MIN_PAUSE_SECONDS="5")
        world.email.failures.append(quota(retry_after_s=1))
        (first,) = notices(world, 1)
        services.delivery.deliver(first)
        pause = services.delivery.paused(Channel.EMAIL)
        assert pause is not None and pause.until == world.fakes.clock.now() + timedelta(seconds=5)

    def test_a_monthly_quota_waits_for_the_first_of_next_month(self, world: DeliveryWorld) -> None:
        world.email.failures.append(quota("monthly"))
        (first,) = notices(world, 1)
        world.service.deliver(first)
        pause = world.service.paused(Channel.EMAIL)
        assert pause is not None and pause.until == datetime(2026, 2, 1, tzinfo=UTC)
        assert pause.reason == "quota:monthly"

    def test_a_rate_limit_with_retry_after_pauses_that_long_without_an_alert(
        self, world: DeliveryWorld
    ) -> None:
        world.email.failures.append(
            ProviderLimited("resend:429:rate_limit_exceeded", retry_after_s=2)
        )
        (first,) = notices(world, 1)
        assert world.service.deliver(first) is DeliveryStatus.QUEUED
        assert world.fakes.reporter.messages == []
        assert world.queue.delays == [timedelta(seconds=2)]
        world.fakes.clock.advance(2)
        assert world.service.deliver(first) is DeliveryStatus.SENT

    def test_a_rate_limit_without_retry_after_is_an_ordinary_retry(
        self, world: DeliveryWorld
    ) -> None:
        world.email.failures.append(ProviderLimited("twilio:20429"))
        sms = world.queued(Channel.SMS)
        world.sms.failures.append(ProviderLimited("twilio:20429"))
        with pytest.raises(ProviderLimited):
            world.service.deliver(sms.id)
        assert world.service.paused(Channel.SMS) is None
        assert world.queue.jobs == []

    def test_a_quota_after_a_rate_limit_still_alerts(self, world: DeliveryWorld) -> None:
        world.email.failures.extend(
            [ProviderLimited("resend:429:rate_limit_exceeded", retry_after_s=1), quota()]
        )
        (first,) = notices(world, 1)
        world.service.deliver(first)
        world.fakes.clock.advance(1)
        world.service.deliver(first)
        assert len(world.fakes.reporter.messages) == 1


class TestOperatorResume:
    def test_resume_lifts_the_pause_and_the_next_look_sends(self, world: DeliveryWorld) -> None:
        world.email.failures.append(quota())
        (first,) = notices(world, 1)
        world.service.deliver(first)
        assert world.service.resume(Channel.EMAIL) is True
        assert world.service.deliver(first) is DeliveryStatus.SENT
        assert world.service.resume(Channel.EMAIL) is False


class TestResetArithmetic:
    @pytest.mark.parametrize(
        ("now", "quota_kind", "expected"),
        [
            (
                datetime(2026, 1, 1, 23, 59, 59, tzinfo=UTC),
                "daily",
                datetime(2026, 1, 2, tzinfo=UTC),
            ),
            (datetime(2026, 1, 2, 0, 0, tzinfo=UTC), "daily", datetime(2026, 1, 3, tzinfo=UTC)),
            (datetime(2026, 12, 31, 8, tzinfo=UTC), "monthly", datetime(2027, 1, 1, tzinfo=UTC)),
            (datetime(2026, 2, 28, 8, tzinfo=UTC), "monthly", datetime(2026, 3, 1, tzinfo=UTC)),
        ],
    )
    def test_next_reset(self, now: datetime, quota_kind: str, expected: datetime) -> None:
        assert next_reset(quota_kind, now) == expected

    def test_retry_after_reads_seconds_and_http_dates(self) -> None:
        now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
        assert retry_after_seconds("120") == 120.0
        assert retry_after_seconds("Thu, 01 Jan 2026 12:01:30 GMT", now=now) == 90.0
        assert retry_after_seconds("Thu, 01 Jan 2026 12:01:30 GMT") is None  # no clock to read
        assert retry_after_seconds("soon", now=now) is None
        assert retry_after_seconds("-5", now=now) is None
        assert retry_after_seconds(None) is None

    def test_retry_after_headers_are_read_in_any_case_against_the_answers_date(self) -> None:
        date = "Thu, 01 Jan 2026 12:00:00 GMT"
        later = "Thu, 01 Jan 2026 12:01:30 GMT"
        assert retry_after_from_headers({"Retry-After": "7"}) == 7.0
        assert retry_after_from_headers({"retry-after": later, "DATE": date}) == 90.0
        assert retry_after_from_headers({"Retry-After": later}) is None  # no Date to read it by
        assert retry_after_from_headers({"Retry-After": later, "Date": "garbage"}) is None
        assert retry_after_from_headers({}) is None

    def test_a_pause_never_lasts_longer_than_the_cap(self) -> None:
        now = datetime(2026, 1, 1, tzinfo=UTC)
        pause = PausePolicy().pause_for(Channel.EMAIL, quota(retry_after_s=10**9), now)
        assert pause == ChannelPause(Channel.EMAIL, now + PausePolicy().max_pause, "quota:daily")
