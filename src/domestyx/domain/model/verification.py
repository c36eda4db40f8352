"""Identity verification review: a guarded state machine with a full decision history."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from domestyx.domain.model.accounts import IdentityStatus, Role
from domestyx.domain.model.errors import Forbidden, IllegalTransition, InvalidInput


class Decision(enum.StrEnum):
    """What a reviewer may decide."""

    APPROVE = "approve"
    REJECT = "reject"
    REQUEST_RESUBMISSION = "request_resubmission"


class ReasonCode(enum.StrEnum):
    """Why a reviewer decided as they did; required for anything but approval."""

    VERIFIED = "verified"
    DOCUMENT_UNREADABLE = "document_unreadable"
    DOCUMENT_EXPIRED = "document_expired"
    DOCUMENT_MISMATCH = "document_mismatch"
    SUSPECTED_FRAUD = "suspected_fraud"
    MISSING_DOCUMENT = "missing_document"
    OTHER = "other"


_OUTCOME = {
    Decision.APPROVE: IdentityStatus.APPROVED,
    Decision.REJECT: IdentityStatus.REJECTED,
    Decision.REQUEST_RESUBMISSION: IdentityStatus.RESUBMISSION_REQUESTED,
}
# The only edges of the review graph.
TRANSITIONS: dict[IdentityStatus, frozenset[IdentityStatus]] = {
    IdentityStatus.NOT_STARTED: frozenset({IdentityStatus.SUBMITTED}),
    IdentityStatus.SUBMITTED: frozenset({IdentityStatus.IN_REVIEW}),
    IdentityStatus.IN_REVIEW: frozenset(
        {IdentityStatus.APPROVED, IdentityStatus.REJECTED, IdentityStatus.RESUBMISSION_REQUESTED}
    ),
    IdentityStatus.RESUBMISSION_REQUESTED: frozenset({IdentityStatus.SUBMITTED}),
    IdentityStatus.REJECTED: frozenset({IdentityStatus.SUBMITTED}),
    IdentityStatus.APPROVED: frozenset(),
}


def check_transition(current: IdentityStatus, target: IdentityStatus) -> None:
    """Raise unless `current -> target` is an edge of the review graph."""
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(f"cannot move a verification from {current} to {target}")


@attrs.frozen
class ReviewEntry:
    """One immutable step of a verification's history."""

    id: str
    verification_id: str
    from_status: IdentityStatus
    to_status: IdentityStatus
    actor_id: str
    at: datetime
    reason_code: str | None = None
    note: str | None = None


@attrs.define
class Verification:
    """One submission of a set of document versions for review."""

    id: str
    account_id: str
    document_ids: tuple[str, ...]
    submitted_at: datetime
    status: IdentityStatus = IdentityStatus.SUBMITTED
    reviewer_id: str | None = None
    decided_at: datetime | None = None
    reason_code: str | None = None
    note: str | None = None
    updated_at: datetime | None = None

    def claim(
        self, reviewer_id: str, role: Role, now: datetime
    ) -> tuple[IdentityStatus, IdentityStatus]:
        """A reviewer takes the submission into review."""
        self._guard_reviewer(reviewer_id, role)
        return self._move(IdentityStatus.IN_REVIEW, reviewer_id, now)

    def decide(
        self,
        *,
        reviewer_id: str,
        role: Role,
        decision: Decision,
        reason: ReasonCode | None,
        note: str | None,
        now: datetime,
    ) -> tuple[IdentityStatus, IdentityStatus]:
        """Record the reviewer's decision; reasons are mandatory for negative outcomes."""
        self._guard_reviewer(reviewer_id, role)
        if decision is not Decision.APPROVE and reason in (None, ReasonCode.VERIFIED):
            raise InvalidInput("a reason code is required for this decision", field="reason")
        if self.reviewer_id not in (None, reviewer_id) and role is not Role.ADMIN:
            raise Forbidden("another reviewer holds this verification")
        moved = self._move(_OUTCOME[decision], reviewer_id, now)
        self.decided_at = now
        self.reason_code = (reason or ReasonCode.VERIFIED).value
        self.note = note
        return moved

    def _guard_reviewer(self, reviewer_id: str, role: Role) -> None:
        if not role.is_staff:
            raise Forbidden("only reviewers may review identity documents")
        if reviewer_id == self.account_id:
            raise Forbidden("reviewers may not decide on their own account")

    def _move(
        self, target: IdentityStatus, actor: str, now: datetime
    ) -> tuple[IdentityStatus, IdentityStatus]:
        check_transition(self.status, target)
        before, self.status = self.status, target
        self.reviewer_id = actor
        self.updated_at = now
        return before, target
