"""A limits reset another process can ask for: the embedded default's counters live in the
memory of `domestyx serve`, which `domestyx dev reset-limits` cannot reach; it touches a stamp
file under the var directory, and the server's limiter forgets everything on its next decision.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from domestyx.domain.model.abuse import RATE_KEY_PREFIX
from domestyx.domain.model.rate_limits import FailureTally, RateDecision, RateRule
from domestyx.ports.rate_limiter import FailureCounter, RateLimiter

STAMP_NAME = "limits.reset"


class ResetStamp:
    """A file whose modification time says 'forget the limits'; each reader notices it once."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._seen = self._mtime()

    def _mtime(self) -> int:
        try:
            return self._path.stat().st_mtime_ns
        except FileNotFoundError:
            return 0

    def touch(self) -> None:
        """Ask every process reading this stamp to forget (a fresh, distinct mtime)."""
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._path.write_text("reset requested by `domestyx dev reset-limits`\n")
        now = max(time.time_ns(), self._mtime() + 1)
        os.utime(self._path, ns=(now, now))

    def fired(self) -> bool:
        """True once after each touch (one stat per call: cheap enough for development)."""
        mtime = self._mtime()
        if mtime == self._seen:
            return False
        self._seen = mtime
        return True


class StampedRateLimiter:
    """The in-memory limiter, forgetting its rate counters when the stamp is touched."""

    def __init__(self, inner: RateLimiter, stamp: ResetStamp) -> None:
        self._inner, self._stamp = inner, stamp

    def hit(
        self,
        rules: Sequence[RateRule],
        *,
        now: datetime,
        audit_keys: Sequence[str] = (),
        audit_every: timedelta = timedelta(minutes=1),
    ) -> RateDecision:
        """Reset first if asked, then decide."""
        if self._stamp.fired():
            self._inner.reset_prefix(RATE_KEY_PREFIX)
        return self._inner.hit(rules, now=now, audit_keys=audit_keys, audit_every=audit_every)

    def reset(self, key: str) -> None:
        """Forget a key."""
        self._inner.reset(key)

    def reset_prefix(self, prefix: str) -> int:
        """Forget a prefix."""
        return self._inner.reset_prefix(prefix)


class StampedFailureCounter:
    """The in-memory failure counter, forgetting every tally when the stamp is touched."""

    def __init__(self, inner: FailureCounter, stamp: ResetStamp) -> None:
        self._inner, self._stamp = inner, stamp

    def _check(self) -> None:
        if self._stamp.fired():
            self._inner.clear_prefix("")

    def add(self, key: str, *, now: datetime, window: timedelta) -> FailureTally:
        """Reset first if asked, then record."""
        self._check()
        return self._inner.add(key, now=now, window=window)

    def tally(self, key: str, *, now: datetime, window: timedelta) -> FailureTally:
        """Reset first if asked, then count."""
        self._check()
        return self._inner.tally(key, now=now, window=window)

    def clear(self, key: str) -> None:
        """Forget a key."""
        self._inner.clear(key)

    def clear_prefix(self, prefix: str) -> int:
        """Forget a prefix."""
        return self._inner.clear_prefix(prefix)
