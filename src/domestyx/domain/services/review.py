"""Identity review: submit the required documents, the reviewer queue, claims and decisions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from domestyx.domain.model.accounts import Account, IdentityStatus
from domestyx.domain.model.audit import AuditEventType, ClientContext
from domestyx.domain.model.errors import (
    Forbidden,
    InvalidInput,
    MfaRequired,
    NotFound,
    NotVerified,
)
from domestyx.domain.model.sessions import Principal
from domestyx.domain.model.verification import (
    Decision,
    ReasonCode,
    ReviewEntry,
    Verification,
    check_transition,
)
from domestyx.domain.services.auditor import Auditor
from domestyx.domain.services.review_policy import RequiredKinds

if TYPE_CHECKING:
    from domestyx.ports.clock import Clock
    from domestyx.ports.randomness import IdGenerator
    from domestyx.ports.repositories import UnitOfWork, UnitOfWorkFactory

MAX_NOTE_LENGTH = 2000
MAX_QUEUE_PAGE = 200


def _require_staff(principal: Principal) -> None:
    if not principal.role.is_staff:
        raise Forbidden("only reviewers may review identity documents")
    if not principal.has_staff_rights:
        raise MfaRequired


def _load(uow: UnitOfWork, verification_id: str) -> tuple[Verification, Account]:
    verification = uow.verifications.get(verification_id, for_update=True)
    account = uow.accounts.get(verification.account_id, for_update=True) if verification else None
    if verification is None or account is None:
        raise NotFound("no such verification")
    return verification, account


@attrs.frozen
class ReviewService:
    """Owners submit, staff claim and decide; the account mirrors the outcome."""

    uow: UnitOfWorkFactory
    ids: IdGenerator
    clock: Clock
    auditor: Auditor
    required: RequiredKinds = RequiredKinds()

    def submit(self, principal: Principal, ctx: ClientContext) -> Verification:
        """Ask for review of the newest active version of each required kind."""
        now = self.clock.now()
        with self.uow() as uow:
            account, document_ids = self._submittable(uow, principal)
            verification = Verification(
                id=self.ids.new_id(),
                account_id=account.id,
                document_ids=document_ids,
                submitted_at=now,
                updated_at=now,
            )
            uow.verifications.add(verification)
            self._step(
                uow, verification, account, before=account.identity_status, actor=principal, now=now
            )
            self._audit(uow, AuditEventType.VERIFICATION_SUBMITTED, verification, principal, ctx)
            uow.commit()
        return verification

    def queue(self, principal: Principal, limit: int = 50) -> Sequence[Verification]:
        """Submissions waiting for or under review, oldest first."""
        _require_staff(principal)
        if not 0 < limit <= MAX_QUEUE_PAGE:
            raise InvalidInput(f"limit must be between 1 and {MAX_QUEUE_PAGE}", field="limit")
        with self.uow() as uow:
            return uow.verifications.queue(limit)

    def claim(self, principal: Principal, verification_id: str, ctx: ClientContext) -> Verification:
        """A reviewer takes a submission into review."""
        _require_staff(principal)
        with self.uow() as uow:
            verification, account = _load(uow, verification_id)
            self._claim(uow, verification, account, principal, ctx)
            uow.commit()
        return verification

    def decide(  # noqa: PLR0917 - the HTTP layer calls it with the issue's positional order
        self,
        principal: Principal,
        verification_id: str,
        decision: Decision,
        reason: ReasonCode | None,
        note: str | None,
        ctx: ClientContext,
    ) -> Verification:
        """Approve, reject or ask for new documents; an unclaimed submission is claimed first."""
        _require_staff(principal)
        if note is not None and len(note) > MAX_NOTE_LENGTH:
            raise InvalidInput(f"note is longer than {MAX_NOTE_LENGTH} characters", field="note")
        now = self.clock.now()
        with self.uow() as uow:
            verification, account = _load(uow, verification_id)
            if verification.status is IdentityStatus.SUBMITTED:
                self._claim(uow, verification, account, principal, ctx)
            before, _ = verification.decide(
                reviewer_id=principal.account_id,
                role=principal.role,
                decision=decision,
                reason=reason,
                note=note,
                now=now,
            )
            uow.verifications.save(verification)
            self._step(uow, verification, account, before=before, actor=principal, now=now)
            details = {"decision": decision.value, "reason": verification.reason_code or ""}
            self._audit(
                uow, AuditEventType.VERIFICATION_DECIDED, verification, principal, ctx, **details
            )
            uow.commit()
        return verification

    def history(self, principal: Principal, verification_id: str) -> Sequence[ReviewEntry]:
        """Every step of a submission, oldest first."""
        _require_staff(principal)
        with self.uow() as uow:
            if uow.verifications.get(verification_id) is None:
                raise NotFound("no such verification")
            return uow.verifications.history(verification_id)

    def status(self, principal: Principal) -> Verification | None:
        """The caller's newest submission, if any."""
        with self.uow() as uow:
            return uow.verifications.current(principal.account_id)

    def _submittable(
        self, uow: UnitOfWork, principal: Principal
    ) -> tuple[Account, tuple[str, ...]]:
        """The caller's account, locked, and the versions a new submission would cover."""
        account = uow.accounts.get(principal.account_id, for_update=True)
        if account is None or not account.can_sign_in or not account.contacts_verified:
            raise NotVerified
        check_transition(account.identity_status, IdentityStatus.SUBMITTED)
        document_ids = self.required.choose(uow, account)
        previous = uow.verifications.current(account.id)
        # A resubmission is new immutable versions, not the same files sent to the queue again.
        if previous is not None and set(previous.document_ids) == set(document_ids):
            raise InvalidInput(
                "upload a new version of your documents before submitting again",
                field="documents",
            )
        return account, document_ids

    def _claim(
        self,
        uow: UnitOfWork,
        verification: Verification,
        account: Account,
        principal: Principal,
        ctx: ClientContext,
    ) -> None:
        now = self.clock.now()
        before, _ = verification.claim(principal.account_id, principal.role, now)
        uow.verifications.save(verification)
        self._step(uow, verification, account, before=before, actor=principal, now=now)
        self._audit(uow, AuditEventType.VERIFICATION_CLAIMED, verification, principal, ctx)

    def _step(
        self,
        uow: UnitOfWork,
        verification: Verification,
        account: Account,
        *,
        before: IdentityStatus,
        actor: Principal,
        now: datetime,
    ) -> None:
        """Append the history entry for a move and mirror the new status on the account."""
        decided = verification.decided_at is not None
        uow.verifications.add_entry(
            ReviewEntry(
                id=self.ids.new_id(),
                verification_id=verification.id,
                from_status=before,
                to_status=verification.status,
                actor_id=actor.account_id,
                at=now,
                reason_code=verification.reason_code if decided else None,
                note=verification.note if decided else None,
            )
        )
        account.set_identity_status(verification.status, now)
        uow.accounts.save(account)

    def _audit(
        self,
        uow: UnitOfWork,
        event: AuditEventType,
        verification: Verification,
        principal: Principal,
        ctx: ClientContext,
        **details: str,
    ) -> None:
        uow.audit.append(
            self.auditor.event(
                event,
                account_id=verification.account_id,
                actor_id=principal.account_id,
                ip=ctx.ip,
                subject_id=verification.id,
                status=verification.status.value,
                **details,
            )
        )
