"""In-memory CodeCheck: the OtpStore and FailureCounter steps, composed under one lock."""

from __future__ import annotations

import threading
from datetime import datetime

from domestyx.domain.model.errors import AccountLocked
from domestyx.domain.model.otp import AttemptStatus, CheckOutcome, CheckStatus, CodeLockout
from domestyx.ports.otp_store import OtpStore
from domestyx.ports.rate_limiter import FailureCounter


class InMemoryCodeCheck:
    """The reference semantics of the port: the domain's lockout policy, the store's steps."""

    def __init__(self, store: OtpStore, failures: FailureCounter) -> None:
        self._store = store
        self._failures = failures
        self._lock = threading.Lock()

    def check(
        self,
        slot_key: str,
        candidate_hash: str | None,
        *,
        now: datetime,
        max_attempts: int,
        lockout: CodeLockout | None,
    ) -> CheckOutcome:
        """Lockout, attempt, compare, then consume or record the failure."""
        with self._lock:
            tally_count = 0
            if lockout is not None:
                policy = lockout.policy
                tally = self._failures.tally(lockout.failure_key, now=now, window=policy.window)
                try:
                    policy.check(tally, now)
                except AccountLocked as refused:
                    return CheckOutcome(
                        CheckStatus.LOCKED_OUT,
                        retry_after=refused.retry_after or 1,
                        policy=refused.policy or "",
                    )
                tally_count = tally.count
            if candidate_hash is None:
                return CheckOutcome(CheckStatus.MISSING)
            attempt = self._store.register_attempt(slot_key, now=now, max_attempts=max_attempts)
            if attempt.status is AttemptStatus.MISSING:
                return CheckOutcome(CheckStatus.MISSING)
            if attempt.status is AttemptStatus.LOCKED:
                return CheckOutcome(CheckStatus.EXHAUSTED, retry_after=attempt.retry_after)
            bound = attempt.account_id
            own = lockout is not None and bound == lockout.account_id
            if attempt.code_hash != candidate_hash or not self._store.consume(
                slot_key, attempt.code_hash
            ):
                failures = 0
                if own:
                    assert lockout is not None  # noqa: S101 - narrowed by `own`
                    window = lockout.policy.window
                    failures = self._failures.add(lockout.failure_key, now=now, window=window).count
                return CheckOutcome(CheckStatus.WRONG, bound_to=bound, failures=failures)
            if own:
                assert lockout is not None  # noqa: S101 - narrowed by `own`
                if tally_count:
                    self._failures.clear(lockout.failure_key)
                self._failures.add(lockout.known_key, now=now, window=lockout.policy.known_for)
            return CheckOutcome(CheckStatus.MATCHED, bound_to=bound)
