"""Rate-limit rules, decisions and failure tallies: the values the limiter ports speak in."""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs


@attrs.frozen
class RateRule:
    """At most `limit` hits per sliding `window` under `key`; a non-spending rule only checks."""

    name: str
    key: str
    limit: int
    window: timedelta
    spend: bool = True


@attrs.frozen
class RateDecision:
    """The verdict for a set of rules, described by the tightest one."""

    allowed: bool
    limit: int
    remaining: int
    reset_after: int
    retry_after: int = 0
    rule: str = ""
    audit: bool = False  # a refusal the caller should audit (first under its key in a while)


@attrs.frozen
class FailureTally:
    """Failures inside the rolling window and when the newest happened."""

    count: int
    last_at: datetime | None


@attrs.frozen
class GuardReading:
    """A limiter decision with the failure tallies and resend wait read in the same step."""

    decision: RateDecision
    tallies: tuple[FailureTally, ...] = ()
    cooldown: int = 0  # seconds before the peeked code slot takes a resend; then nothing counted
