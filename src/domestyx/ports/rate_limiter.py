"""Shared counters that decide whether a request may proceed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

import attrs


@attrs.frozen
class RateRule:
    """At most `limit` hits per sliding `window` under `key`."""

    name: str
    key: str
    limit: int
    window: timedelta


@attrs.frozen
class RateDecision:
    """The verdict for a set of rules, described by the tightest one."""

    allowed: bool
    limit: int
    remaining: int
    reset_after: int
    retry_after: int = 0
    rule: str = ""


@attrs.frozen
class FailureTally:
    """Failures inside the rolling window and when the newest happened."""

    count: int
    last_at: datetime | None


@runtime_checkable
class RateLimiter(Protocol):
    """Sliding-window limiter; one decision is one atomic step over all its rules."""

    def hit(self, rules: Sequence[RateRule], *, now: datetime) -> RateDecision:
        """Count a hit on every rule if all allow it; otherwise count nothing."""
        ...

    def reset(self, key: str) -> None:
        """Forget a key's history."""
        ...


@runtime_checkable
class FailureCounter(Protocol):
    """Rolling failure counts for lockouts."""

    def add(self, key: str, *, now: datetime, window: timedelta) -> FailureTally:
        """Record a failure and return the tally after it."""
        ...

    def tally(self, key: str, *, now: datetime, window: timedelta) -> FailureTally:
        """The tally without recording anything."""
        ...

    def clear(self, key: str) -> None:
        """Reset after a success."""
        ...
