"""Shared counters that decide whether a request may proceed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from domestyx.domain.model.rate_limits import FailureTally, GuardReading, RateDecision, RateRule


@runtime_checkable
class RateLimiter(Protocol):
    """Sliding-window limiter; one decision is one atomic step over all its rules."""

    def hit(
        self,
        rules: Sequence[RateRule],
        *,
        now: datetime,
        audit_keys: Sequence[str] = (),
        audit_every: timedelta = timedelta(minutes=1),
    ) -> RateDecision:
        """Count a hit on every rule if all allow it; otherwise count nothing.

        With `audit_keys` (one per rule), a refusal also decides in the same step whether it
        is the first under the refusing rule's key within `audit_every` (`decision.audit`).
        """
        ...

    def reset(self, key: str) -> None:
        """Forget a key's history."""
        ...

    def reset_prefix(self, prefix: str) -> int:
        """Forget every key starting with `prefix`; returns how many were forgotten."""
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

    def clear_prefix(self, prefix: str) -> int:
        """Forget every key starting with `prefix`; returns how many were forgotten."""
        ...


@runtime_checkable
class GuardCounters(Protocol):
    """A limiter decision, failure tallies and a resend wait, read in one step (one round trip)."""

    def hit_and_tally(
        self,
        rules: Sequence[RateRule],
        *,
        now: datetime,
        tallies: Sequence[tuple[str, timedelta]] = (),
        cooldown: tuple[str, timedelta] | None = None,
        audit_keys: Sequence[str] = (),
        audit_every: timedelta = timedelta(minutes=1),
    ) -> GuardReading:
        """In order, atomically, over the keys the other ports use:
        `OtpStore.cooldown_remaining(slot, cooldown)` of `cooldown` (while it waits, nothing
        else is done and the decision is an uncounted allow); `FailureCounter.tally` of each
        (key, window); then `RateLimiter.hit(rules, ...)`."""
        ...
