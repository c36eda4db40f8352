"""Lockout policy: failures slow the failing client, never the owner elsewhere (NIST SP 800-63B)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import attrs

from domestyx.domain.model.errors import AccountLocked
from domestyx.domain.model.rate_limits import FailureTally


def _wait(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


@attrs.frozen
class LockoutPolicy:
    """Rising delay per client, captcha then a hard cap per account, all in a rolling window.

    - `free_failures` failures, then a delay doubling from `base_delay` up to `max_delay`; for
      sign-in it counts per account and client network, so only the failing client waits.
    - `captcha_after` consecutive failures on the account: a Turnstile token is demanded from
      every client, instead of a lock strangers could trigger.
    - `max_failures` (NIST: at most 100) consecutive failures lock the account for the window,
      except for networks the owner proved themselves from within `known_for`.
    """

    window: timedelta = timedelta(hours=24)
    max_failures: int = 100
    free_failures: int = 5
    captcha_after: int = 5
    base_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(minutes=15)
    known_for: timedelta = timedelta(days=90)

    def delay_after(self, failures: int) -> timedelta:
        """How long to wait after the n-th failure before the next try."""
        if failures < self.free_failures:
            return timedelta(0)
        factor: int = 2 ** min(failures - self.free_failures, 20)
        delay: timedelta = min(self.base_delay * factor, self.max_delay)
        return delay

    def check_delay(self, tally: FailureTally, now: datetime) -> None:
        """Raise AccountLocked while the rising delay after the last failure runs."""
        if tally.last_at is None:
            return
        until = tally.last_at + self.delay_after(tally.count)
        if until > now:
            raise AccountLocked(retry_after=_wait(until, now), policy="sign-in-delay")

    def check_cap(self, tally: FailureTally, now: datetime) -> None:
        """Raise AccountLocked while the capped account waits out its window."""
        if tally.last_at is None or tally.count < self.max_failures:
            return
        until = tally.last_at + self.window
        if until > now:
            raise AccountLocked(retry_after=_wait(until, now), policy="account-lockout")

    def check(self, tally: FailureTally, now: datetime) -> None:
        """Both: the cap first (its wait is the longer), then the rising delay."""
        self.check_cap(tally, now)
        self.check_delay(tally, now)

    def captcha_needed(self, account_tally: FailureTally) -> bool:
        """Whether the account's failures demand a token from every client."""
        return account_tally.count >= self.captcha_after
