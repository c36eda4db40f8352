"""Where live one-time codes wait, as keyed hashes with attempt counters."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from domestyx.domain.model.otp import AttemptOutcome, IssueOutcome


@runtime_checkable
class OtpStore(Protocol):
    """Holds one challenge per slot; every method is atomic on its slot."""

    def issue(
        self,
        slot_key: str,
        code_hash: str,
        *,
        account_id: str | None,
        now: datetime,
        valid_for: timedelta,
        cooldown: timedelta,
        max_attempts: int,
    ) -> IssueOutcome:
        """Replace the code unless within cooldown or locked; keep the attempt count."""
        ...

    def cooldown_remaining(self, slot_key: str, *, now: datetime, cooldown: timedelta) -> int:
        """Seconds before `issue` would accept a new code for the slot."""
        ...

    def register_attempt(
        self, slot_key: str, *, now: datetime, max_attempts: int
    ) -> AttemptOutcome:
        """Count one attempt and return the live challenge, or say it is missing or locked."""
        ...

    def holds(self, slot_key: str, code_hash: str, *, now: datetime) -> bool:
        """Whether the slot's live code is still this one; read-only, counts no attempt."""
        ...

    def consume(self, slot_key: str, code_hash: str) -> bool:
        """Delete the challenge if it still holds this code; True for exactly one caller."""
        ...
