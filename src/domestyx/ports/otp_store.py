"""Where live one-time codes wait, as keyed hashes with attempt counters."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from domestyx.domain.model.otp import AttemptOutcome, CheckOutcome, CodeLockout, IssueOutcome


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


@runtime_checkable
class CodeCheck(Protocol):
    """A whole code guess as one atomic step over the code's slot and the account's lockout."""

    def check(
        self,
        slot_key: str,
        candidate_hash: str | None,
        *,
        now: datetime,
        max_attempts: int,
        lockout: CodeLockout | None,
    ) -> CheckOutcome:
        """Judge one guess, in this order, atomically (one round trip for a remote store).

        1. `lockout`: its failure tally refused by `lockout.policy.check` -> LOCKED_OUT.
        2. No candidate (a malformed guess), or no live code in the slot -> MISSING.
        3. The code's attempts at `max_attempts` -> EXHAUSTED; otherwise one is counted.
        4. Another code -> WRONG; when the code is bound to `lockout.account_id`, one failure
           is added to `lockout.failure_key` (its tally returned as `failures`).
        5. The code -> MATCHED and deleted; when bound to `lockout.account_id`, the failure
           tally is cleared and `lockout.known_key` records the network for `known_for`.
        """
        ...
