"""Channel pauses: a provider limit stops one channel for a while, and only that channel."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import attrs

from domestyx.domain.model.delivery import ProviderLimited
from domestyx.domain.model.otp import Channel


@attrs.frozen
class ChannelPause:
    """No message goes out on `channel` before `until`; `reason` says which limit said so."""

    channel: Channel
    until: datetime
    reason: str

    @property
    def is_quota(self) -> bool:
        """A sending quota (worth an alert), not a momentary rate limit."""
        return self.reason.startswith("quota:")


@attrs.frozen(kw_only=True)
class PausePolicy:
    """How long a provider's refusal pauses its channel, and how often waiting jobs look again."""

    # A quota cannot sensibly reset within seconds; a generic `Retry-After: 1` on a quota error
    # would otherwise become one probe a second.
    min_quota_pause: timedelta = timedelta(seconds=60)
    max_pause: timedelta = timedelta(days=32)
    # Waiting jobs wake this often, so an operator's `resume` takes effect without a restart.
    recheck_every: timedelta = timedelta(minutes=5)

    def pause_for(
        self, channel: Channel, refused: ProviderLimited, now: datetime
    ) -> ChannelPause | None:
        """The pause a refusal earns; None for a rate limit with no Retry-After (plain backoff)."""
        wait = timedelta(seconds=refused.retry_after_s) if refused.retry_after_s else None
        if refused.quota is None:
            if wait is None:
                return None
            return ChannelPause(channel, now + min(wait, self.max_pause), refused.reason)
        until = now + max(wait, self.min_quota_pause) if wait else next_reset(refused.quota, now)
        return ChannelPause(channel, min(until, now + self.max_pause), refused.reason)

    def wait(self, pause: ChannelPause, now: datetime) -> timedelta:
        """How long a job that found the channel paused sleeps before it looks again."""
        return max(timedelta(seconds=1), min(pause.until - now, self.recheck_every))


def next_reset(quota: str, now: datetime) -> datetime:
    """When a quota resets without being told: the next UTC midnight (daily) or month (monthly)."""
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if quota == "monthly":
        first = today.replace(day=1)
        return (
            first.replace(year=first.year + 1, month=1)
            if first.month == 12
            else first.replace(month=first.month + 1)
        )
    return today + timedelta(days=1)


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """RFC 9110 Retry-After: delta-seconds, or an HTTP-date (needs `now`); None if unusable."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    if now is None:
        return None
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, (moment - now).total_seconds())


def retry_after_from_headers(headers: Mapping[str, str]) -> float | None:
    """Retry-After from an answer's headers, an HTTP-date read against the answer's own Date."""
    found = {name.lower(): value for name, value in headers.items()}
    date = found.get("date")
    try:
        now = parsedate_to_datetime(date) if date else None
    except (TypeError, ValueError):
        now = None
    return retry_after_seconds(found.get("retry-after"), now=now)
