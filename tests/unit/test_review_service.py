"""Identity review: submission, queue, claims, decisions and the status they leave behind."""

from __future__ import annotations

import pytest

from domestyx.domain.model.accounts import IdentityStatus, Role
from domestyx.domain.model.audit import AuditEventType
from domestyx.domain.model.documents import DocumentKind
from domestyx.domain.model.errors import (
    Forbidden,
    IllegalTransition,
    InvalidInput,
    MfaRequired,
    NotFound,
    NotVerified,
)
from domestyx.domain.model.mfa import AAL_MFA
from domestyx.domain.model.sessions import Principal
from domestyx.domain.model.verification import Decision, ReasonCode, Verification
from domestyx.domain.services.review_policy import RequiredKinds
from tests.support import files
from tests.unit.document_world import CTX, World


@pytest.fixture
def world() -> World:
    return World()


def ready_worker(world: World) -> Principal:
    """A worker with a passport and a police clearance on file."""
    worker = world.account(Role.WORKER)
    world.upload(worker, DocumentKind.PASSPORT)
    world.upload(worker, DocumentKind.POLICE_CLEARANCE, files.pdf())
    return worker


def submitted(world: World) -> tuple[Principal, Verification]:
    worker = ready_worker(world)
    return worker, world.reviews().submit(worker, CTX)


def test_submit_names_every_missing_requirement(world: World) -> None:
    worker = world.account(Role.WORKER)
    with pytest.raises(InvalidInput, match="id_card or passport, police_clearance"):
        world.reviews().submit(worker, CTX)


def test_submit_needs_all_of_the_roles_kinds(world: World) -> None:
    worker = world.account(Role.WORKER)
    world.upload(worker, DocumentKind.ID_CARD)
    with pytest.raises(InvalidInput, match=r"missing documents: police_clearance$"):
        world.reviews().submit(worker, CTX)
    assert world.account_row(worker.account_id).identity_status is IdentityStatus.NOT_STARTED


def test_an_employer_needs_only_proof_of_identity(world: World) -> None:
    employer = world.account(Role.EMPLOYER)
    id_card = world.upload(employer, DocumentKind.ID_CARD)
    verification = world.reviews().submit(employer, CTX)
    assert verification.document_ids == (id_card.id,)
    assert verification.status is IdentityStatus.SUBMITTED


def test_required_kinds_are_configurable(world: World) -> None:
    employer = world.account(Role.EMPLOYER)
    world.upload(employer, DocumentKind.PASSPORT)
    strict = RequiredKinds(
        {Role.EMPLOYER: ((DocumentKind.PASSPORT,), (DocumentKind.PROOF_OF_ADDRESS,))}
    )
    with pytest.raises(InvalidInput, match="proof_of_address"):
        world.reviews(required=strict).submit(employer, CTX)


def test_submit_takes_the_newest_active_version(world: World) -> None:
    worker = ready_worker(world)
    newer = world.upload(worker, DocumentKind.PASSPORT, files.jpeg())
    verification = world.reviews().submit(worker, CTX)
    assert newer.id in verification.document_ids


def test_a_deleted_document_does_not_count(world: World) -> None:
    employer = world.account(Role.EMPLOYER)
    passport = world.upload(employer, DocumentKind.PASSPORT)
    world.documents().delete(employer, passport.id, CTX)
    with pytest.raises(InvalidInput, match="missing documents"):
        world.reviews().submit(employer, CTX)


def test_submit_marks_the_account_records_history_and_audits(world: World) -> None:
    worker, verification = submitted(world)
    assert world.account_row(worker.account_id).identity_status is IdentityStatus.SUBMITTED
    assert world.reviews().status(worker) == verification
    (entry,) = world.db.state.entries
    assert (entry.from_status, entry.to_status, entry.actor_id) == (
        IdentityStatus.NOT_STARTED,
        IdentityStatus.SUBMITTED,
        worker.account_id,
    )
    (event,) = world.events(AuditEventType.VERIFICATION_SUBMITTED)
    assert event.subject_id == verification.id


def test_unverified_accounts_cannot_submit(world: World) -> None:
    worker = world.account(Role.WORKER, phone=False)
    with pytest.raises(NotVerified):
        world.reviews().submit(worker, CTX)


def test_staff_accounts_do_not_go_through_review(world: World) -> None:
    with pytest.raises(Forbidden):
        world.reviews().submit(world.account(Role.REVIEWER), CTX)


def test_a_second_submit_while_pending_is_an_illegal_transition(world: World) -> None:
    worker, _ = submitted(world)
    with pytest.raises(IllegalTransition):
        world.reviews().submit(worker, CTX)


def test_the_queue_is_for_staff_only(world: World) -> None:
    worker, verification = submitted(world)
    with pytest.raises(Forbidden):
        world.reviews().queue(worker, 10)
    assert [v.id for v in world.reviews().queue(world.account(Role.REVIEWER), 10)] == [
        verification.id
    ]


def test_claim_moves_into_review_and_mirrors_the_account(world: World) -> None:
    worker, verification = submitted(world)
    reviewer = world.account(Role.REVIEWER)
    claimed = world.reviews().claim(reviewer, verification.id, CTX)
    assert (claimed.status, claimed.reviewer_id) == (IdentityStatus.IN_REVIEW, reviewer.account_id)
    assert world.account_row(worker.account_id).identity_status is IdentityStatus.IN_REVIEW
    assert len(world.events(AuditEventType.VERIFICATION_CLAIMED)) == 1


def test_deciding_an_unclaimed_submission_claims_it_first(world: World) -> None:
    worker, verification = submitted(world)
    reviewer = world.account(Role.REVIEWER)
    decided = world.reviews().decide(reviewer, verification.id, Decision.APPROVE, None, "ok", CTX)
    assert decided.status is IdentityStatus.APPROVED
    assert world.account_row(worker.account_id).identity_status is IdentityStatus.APPROVED
    steps = [(e.from_status, e.to_status) for e in world.reviews().history(reviewer, decided.id)]
    assert steps == [
        (IdentityStatus.NOT_STARTED, IdentityStatus.SUBMITTED),
        (IdentityStatus.SUBMITTED, IdentityStatus.IN_REVIEW),
        (IdentityStatus.IN_REVIEW, IdentityStatus.APPROVED),
    ]
    (event,) = world.events(AuditEventType.VERIFICATION_DECIDED)
    assert (event.actor_id, event.details["decision"], event.details["reason"]) == (
        reviewer.account_id,
        "approve",
        "verified",
    )


def test_a_reviewer_never_decides_on_their_own_account(world: World) -> None:
    worker, verification = submitted(world)
    with world.db() as uow:  # the worker was later hired as a reviewer
        account = uow.accounts.get(worker.account_id)
        assert account is not None
        account.role = Role.REVIEWER
        uow.accounts.save(account)
        uow.commit()
    promoted = Principal(worker.account_id, Role.REVIEWER, worker.session_id, aal=AAL_MFA)
    with pytest.raises(Forbidden, match="own account"):
        world.reviews().decide(promoted, verification.id, Decision.APPROVE, None, None, CTX)
    with pytest.raises(Forbidden, match="own account"):
        world.reviews().claim(promoted, verification.id, CTX)
    assert world.account_row(worker.account_id).identity_status is IdentityStatus.SUBMITTED


@pytest.mark.parametrize("role", [Role.WORKER, Role.EMPLOYER])
def test_non_staff_cannot_claim_decide_or_read_history(world: World, role: Role) -> None:
    _, verification = submitted(world)
    outsider = world.account(role)
    with pytest.raises(Forbidden):
        world.reviews().claim(outsider, verification.id, CTX)
    with pytest.raises(Forbidden):
        world.reviews().decide(outsider, verification.id, Decision.APPROVE, None, None, CTX)
    with pytest.raises(Forbidden):
        world.reviews().history(outsider, verification.id)


@pytest.mark.parametrize("reason", [None, ReasonCode.VERIFIED])
@pytest.mark.parametrize("decision", [Decision.REJECT, Decision.REQUEST_RESUBMISSION])
def test_negative_decisions_need_a_reason(
    world: World, decision: Decision, reason: ReasonCode | None
) -> None:
    worker, verification = submitted(world)
    reviewer = world.account(Role.REVIEWER)
    with pytest.raises(InvalidInput, match="reason"):
        world.reviews().decide(reviewer, verification.id, decision, reason, None, CTX)
    assert world.account_row(worker.account_id).identity_status is IdentityStatus.SUBMITTED


def test_only_the_holder_or_an_admin_decides_a_claimed_submission(world: World) -> None:
    _, verification = submitted(world)
    first, second = world.account(Role.REVIEWER), world.account(Role.REVIEWER)
    world.reviews().claim(first, verification.id, CTX)
    with pytest.raises(Forbidden, match="another reviewer"):
        world.reviews().decide(second, verification.id, Decision.APPROVE, None, None, CTX)
    admin = world.account(Role.ADMIN)
    reason = ReasonCode.SUSPECTED_FRAUD
    rejected = world.reviews().decide(admin, verification.id, Decision.REJECT, reason, None, CTX)
    assert (rejected.status, rejected.reason_code) == (IdentityStatus.REJECTED, "suspected_fraud")


def test_unknown_verifications_are_not_found_for_staff(world: World) -> None:
    reviewer = world.account(Role.REVIEWER)
    with pytest.raises(NotFound):
        world.reviews().claim(reviewer, "0" * 32, CTX)
    with pytest.raises(NotFound):
        world.reviews().history(reviewer, "0" * 32)


def test_a_resubmission_is_a_new_verification_of_new_versions(world: World) -> None:
    worker, first = submitted(world)
    reviewer = world.account(Role.REVIEWER)
    unreadable = ReasonCode.DOCUMENT_UNREADABLE
    world.reviews().decide(
        reviewer, first.id, Decision.REQUEST_RESUBMISSION, unreadable, "blurry photo", CTX
    )
    assert world.account_row(worker.account_id).identity_status is (
        IdentityStatus.RESUBMISSION_REQUESTED
    )
    with pytest.raises(InvalidInput, match="new version"):
        world.reviews().submit(worker, CTX)
    world.clock.advance(3600)
    sharper = world.upload(worker, DocumentKind.PASSPORT, files.jpeg())
    second = world.reviews().submit(worker, CTX)
    assert second.id != first.id
    assert sharper.id in second.document_ids
    assert sharper.id not in first.document_ids
    assert world.reviews().status(worker) == second
    assert world.account_row(worker.account_id).identity_status is IdentityStatus.SUBMITTED


def test_approval_is_final(world: World) -> None:
    worker, verification = submitted(world)
    reviewer = world.account(Role.REVIEWER)
    world.reviews().decide(reviewer, verification.id, Decision.APPROVE, None, None, CTX)
    world.upload(worker, DocumentKind.PASSPORT, files.jpeg())
    with pytest.raises(IllegalTransition):
        world.reviews().submit(worker, CTX)
    reason = ReasonCode.OTHER
    with pytest.raises(IllegalTransition):
        world.reviews().decide(reviewer, verification.id, Decision.REJECT, reason, None, CTX)
    assert world.account_row(worker.account_id).identity_status is IdentityStatus.APPROVED


def test_a_note_longer_than_the_limit_is_refused(world: World) -> None:
    _, verification = submitted(world)
    reviewer = world.account(Role.REVIEWER)
    with pytest.raises(InvalidInput, match="note"):
        world.reviews().decide(reviewer, verification.id, Decision.APPROVE, None, "x" * 2001, CTX)


def test_status_is_none_before_any_submission(world: World) -> None:
    assert world.reviews().status(world.account()) is None


def test_staff_without_a_second_factor_cannot_review(world: World) -> None:
    _, verification = submitted(world)
    password_only = world.account(Role.REVIEWER, mfa=False)
    with pytest.raises(MfaRequired):
        world.reviews().queue(password_only)
    with pytest.raises(MfaRequired):
        world.reviews().claim(password_only, verification.id, CTX)
    with pytest.raises(MfaRequired):
        world.reviews().decide(password_only, verification.id, Decision.APPROVE, None, None, CTX)
