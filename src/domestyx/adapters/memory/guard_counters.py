"""In-memory GuardCounters: the resend wait, the tallies, then the decision, under one lock."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime, timedelta

from domestyx.domain.model.rate_limits import GuardReading, RateDecision, RateRule
from domestyx.ports.otp_store import OtpStore
from domestyx.ports.rate_limiter import FailureCounter, RateLimiter


class InMemoryGuardCounters:
    """The reference semantics of the port, over whichever limiter and counter it is given."""

    def __init__(self, limiter: RateLimiter, failures: FailureCounter, store: OtpStore) -> None:
        self._limiter = limiter
        self._failures = failures
        self._store = store
        self._lock = threading.Lock()

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
        """The wait first, then the tallies, then the decision."""
        with self._lock:
            if cooldown is not None:
                slot, period = cooldown
                wait = self._store.cooldown_remaining(slot, now=now, cooldown=period)
                if wait:
                    return GuardReading(RateDecision(True, 0, 0, 0), cooldown=wait)
            found = tuple(self._failures.tally(k, now=now, window=w) for k, w in tallies)
            decision = self._limiter.hit(
                rules, now=now, audit_keys=audit_keys, audit_every=audit_every
            )
            return GuardReading(decision, found)
