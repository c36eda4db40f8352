"""In-memory OtpStore with the same atomic semantics as the Redis script."""

from __future__ import annotations

import math
import threading
from datetime import datetime, timedelta

import attrs

from domestyx.domain.model.otp import AttemptOutcome, AttemptStatus, IssueOutcome, IssueStatus


@attrs.define
class _Challenge:
    code_hash: str
    account_id: str | None
    attempts: int
    expires_at: datetime
    sent_at: datetime


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


class InMemoryOtpStore:
    """One lock guards every slot, so each method is atomic."""

    def __init__(self) -> None:
        self._slots: dict[str, _Challenge] = {}
        self._lock = threading.Lock()

    def _live(self, key: str, now: datetime) -> _Challenge | None:
        challenge = self._slots.get(key)
        if challenge is not None and challenge.expires_at <= now:
            del self._slots[key]
            return None
        return challenge

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
        """Replace the code, keeping attempts; refuse within cooldown or when locked."""
        with self._lock:
            current = self._live(slot_key, now)
            if current is not None:
                if current.attempts >= max_attempts:
                    return IssueOutcome(IssueStatus.LOCKED, _seconds(current.expires_at - now))
                if now < current.sent_at + cooldown:
                    return IssueOutcome(
                        IssueStatus.COOLDOWN, _seconds(current.sent_at + cooldown - now)
                    )
            attempts = current.attempts if current else 0
            self._slots[slot_key] = _Challenge(
                code_hash, account_id, attempts, now + valid_for, now
            )
            return IssueOutcome(IssueStatus.ISSUED)

    def cooldown_remaining(self, slot_key: str, *, now: datetime, cooldown: timedelta) -> int:
        """Seconds until a resend is accepted (0 when it would be)."""
        with self._lock:
            current = self._live(slot_key, now)
            if current is None or now >= current.sent_at + cooldown:
                return 0
            return _seconds(current.sent_at + cooldown - now)

    def register_attempt(
        self, slot_key: str, *, now: datetime, max_attempts: int
    ) -> AttemptOutcome:
        """Count an attempt before the caller compares."""
        with self._lock:
            current = self._live(slot_key, now)
            if current is None:
                return AttemptOutcome(AttemptStatus.MISSING)
            if current.attempts >= max_attempts:
                return AttemptOutcome(
                    AttemptStatus.LOCKED, retry_after=_seconds(current.expires_at - now)
                )
            current.attempts += 1
            return AttemptOutcome(
                AttemptStatus.COUNTED,
                code_hash=current.code_hash,
                account_id=current.account_id,
                attempts=current.attempts,
            )

    def holds(self, slot_key: str, code_hash: str, *, now: datetime) -> bool:
        """Whether the live code of the slot is this one."""
        with self._lock:
            current = self._live(slot_key, now)
            return current is not None and current.code_hash == code_hash

    def forget_all(self) -> None:
        """Lose every slot, as a Redis restart without persistence does."""
        with self._lock:
            self._slots.clear()

    def consume(self, slot_key: str, code_hash: str) -> bool:
        """Delete if the code is still the one compared."""
        with self._lock:
            current = self._slots.get(slot_key)
            if current is None or current.code_hash != code_hash:
                return False
            del self._slots[slot_key]
            return True
