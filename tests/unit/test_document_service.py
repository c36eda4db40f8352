"""Uploads, versions, ownership, download links and their audit trail."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from urllib.parse import unquote

import attrs
import pytest

from domestyx.domain.model.accounts import AccountStatus, Role
from domestyx.domain.model.audit import AuditEventType
from domestyx.domain.model.documents import Document, DocumentKind, DocumentStatus
from domestyx.domain.model.errors import (
    ActiveContent,
    Conflict,
    DependencyUnavailable,
    NotFound,
    NotVerified,
    PayloadTooLarge,
    UnprocessableDocument,
    UnsupportedMediaType,
)
from domestyx.domain.model.sessions import Principal
from domestyx.domain.model.verification import Decision, ReasonCode, Verification
from tests.support import files
from tests.unit.document_world import CTX, World


@pytest.fixture
def world() -> World:
    return World()


def test_upload_stores_the_sniffed_file_under_a_random_key(world: World) -> None:
    owner = world.account()
    document = world.upload(owner, DocumentKind.ID_CARD, files.jpeg())
    assert (document.content_type, document.size, document.version) == ("image/jpeg", 159, 1)
    assert document.storage_key is not None
    assert document.storage_key.startswith(f"documents/{owner.account_id}/")
    assert len(document.storage_key.rsplit("/", 1)[1]) == 64
    assert world.storage.objects[document.storage_key].data == files.jpeg()
    assert world.stored(document.id) == document


def test_upload_is_audited_in_its_transaction(world: World) -> None:
    owner = world.account()
    document = world.upload(owner)
    (event,) = world.events(AuditEventType.DOCUMENT_UPLOADED)
    assert (event.subject_id, event.account_id, event.ip) == (document.id, owner.account_id, CTX.ip)
    assert event.details["content_type"] == "image/png"


def test_a_new_upload_of_a_kind_supersedes_the_previous_version(world: World) -> None:
    owner = world.account()
    first = world.upload(owner, DocumentKind.PASSPORT)
    world.clock.advance(60)
    second = world.upload(owner, DocumentKind.PASSPORT, files.pdf())
    old = world.stored(first.id)
    assert second.version == 2
    assert second.status is DocumentStatus.ACTIVE
    assert old.status is DocumentStatus.SUPERSEDED
    assert old.delete_after == world.clock.now() + timedelta(days=30)
    assert old.storage_key == first.storage_key  # versions are immutable, never overwritten


def test_other_kinds_keep_their_own_versions(world: World) -> None:
    owner = world.account()
    world.upload(owner, DocumentKind.PASSPORT)
    clearance = world.upload(owner, DocumentKind.POLICE_CLEARANCE)
    assert clearance.version == 1
    assert {d.status for d in world.documents().list(owner)} == {DocumentStatus.ACTIVE}


@pytest.mark.parametrize(("email", "phone"), [(False, False), (True, False), (False, True)])
def test_unverified_accounts_cannot_upload(world: World, email: bool, phone: bool) -> None:
    owner = world.account(email=email, phone=phone)
    with pytest.raises(NotVerified):
        world.upload(owner)
    assert world.storage.objects == {}


def test_suspended_accounts_cannot_upload(world: World) -> None:
    owner = world.account()
    with world.db() as uow:
        account = uow.accounts.get(owner.account_id)
        assert account is not None
        account.status = AccountStatus.SUSPENDED  # set by an operator; no use case does
        uow.accounts.save(account)
        uow.commit()
    with pytest.raises(NotVerified):
        world.upload(owner)


def test_unsupported_content_is_refused_before_anything_is_stored(world: World) -> None:
    owner = world.account()
    with pytest.raises(UnsupportedMediaType):
        world.upload(owner, data=files.SVG)
    assert world.storage.objects == {}
    assert world.db.state.documents == {}


def test_the_size_cap_is_configurable_and_enforced(world: World) -> None:
    owner = world.account()
    service = world.documents(max_size=1000)
    with pytest.raises(PayloadTooLarge):
        service.upload(owner, DocumentKind.OTHER, io.BytesIO(files.pdf(filler=2000)), CTX)
    assert world.storage.objects == {}


def test_a_storage_failure_leaves_no_row(world: World) -> None:
    owner = world.account()
    world.storage.down = True
    with pytest.raises(DependencyUnavailable):
        world.upload(owner)
    assert world.db.state.documents == {}
    assert world.events(AuditEventType.DOCUMENT_UPLOADED) == []


def test_a_database_failure_leaves_no_object(world: World) -> None:
    owner = world.account()
    world.db.fail_commits = True
    with pytest.raises(DependencyUnavailable):
        world.upload(owner)
    assert world.storage.objects == {}
    assert world.db.state.documents == {}
    assert world.events(AuditEventType.DOCUMENT_UPLOADED) == []


def test_owner_lists_and_reads_own_documents(world: World) -> None:
    owner = world.account()
    document = world.upload(owner)
    assert world.documents().get(owner, document.id) == document
    assert [d.id for d in world.documents().list(owner)] == [document.id]


@pytest.mark.parametrize("role", [Role.WORKER, Role.EMPLOYER, Role.REVIEWER, Role.ADMIN])
def test_anyone_else_gets_not_found_for_every_owner_action(world: World, role: Role) -> None:
    owner, other = world.account(), world.account(role)
    document = world.upload(owner)
    service = world.documents()
    with pytest.raises(NotFound):
        service.get(other, document.id)
    with pytest.raises(NotFound):
        service.delete(other, document.id, CTX)
    with pytest.raises(NotFound):
        service.download_url(other, document.id, CTX)
    assert service.list(other) == []
    assert world.stored(document.id).status is DocumentStatus.ACTIVE


def test_an_unknown_id_is_the_same_not_found(world: World) -> None:
    owner = world.account()
    with pytest.raises(NotFound, match="no such document"):
        world.documents().get(owner, "f" * 32)


def test_download_url_is_short_lived_attachment_with_a_safe_name(world: World) -> None:
    owner = world.account()
    document = world.upload(owner, DocumentKind.POLICE_CLEARANCE, files.pdf())
    url = world.documents().download_url(owner, document.id, CTX)
    assert url.expires_at == world.clock.now() + timedelta(minutes=5)
    assert 'attachment; filename="police_clearance-v1.pdf"' in unquote(url.url)
    assert "type=application/pdf" in unquote(url.url)
    (event,) = world.events(AuditEventType.DOCUMENT_URL_ISSUED)
    assert (event.subject_id, event.actor_id, event.details["route"]) == (
        document.id,
        owner.account_id,
        "owner",
    )


def test_no_url_is_handed_out_when_its_audit_event_cannot_be_written(world: World) -> None:
    owner = world.account()
    document = world.upload(owner)
    world.db.fail_commits = True
    with pytest.raises(DependencyUnavailable):
        world.documents().download_url(owner, document.id, CTX)
    assert world.events(AuditEventType.DOCUMENT_URL_ISSUED) == []


@pytest.mark.parametrize("ttl", [timedelta(minutes=5, seconds=1), timedelta(0)])
def test_link_lifetimes_outside_five_minutes_are_refused_at_construction(
    world: World, ttl: timedelta
) -> None:
    # A class invariant: the root-built service, copied with one field changed, must refuse it.
    with pytest.raises(ValueError, match="download links"):
        attrs.evolve(world.documents(), url_ttl=ttl)


def submitted(world: World) -> tuple[Principal, Document, Verification]:
    """A worker whose passport and police clearance wait for review."""
    owner = world.account()
    passport = world.upload(owner, DocumentKind.PASSPORT)
    world.upload(owner, DocumentKind.POLICE_CLEARANCE, files.pdf())
    return owner, passport, world.reviews().submit(owner, CTX)


def test_staff_download_a_submitted_document_audited_with_who_what_and_why(
    world: World,
) -> None:
    reviewer = world.account(Role.REVIEWER)
    owner, document, verification = submitted(world)
    url = world.documents().admin_download_url(reviewer, document.id, CTX)
    assert url.expires_at <= world.clock.now() + timedelta(minutes=5)
    (event,) = world.events(AuditEventType.DOCUMENT_URL_ISSUED)
    assert (event.account_id, event.actor_id, event.subject_id) == (
        owner.account_id,
        reviewer.account_id,
        document.id,
    )
    assert event.details == {
        "kind": "passport",
        "route": "admin",
        "basis": "review",
        "verification_id": verification.id,
    }


def test_staff_view_metadata_while_in_review_audited(world: World) -> None:
    admin = world.account(Role.ADMIN)
    _, document, verification = submitted(world)
    world.reviews().claim(admin, verification.id, CTX)
    assert world.documents().admin_get(admin, document.id, CTX) == world.stored(document.id)
    (event,) = world.events(AuditEventType.DOCUMENT_VIEWED)
    assert (event.subject_id, event.actor_id) == (document.id, admin.account_id)
    assert (event.details["basis"], event.details["verification_id"]) == ("review", verification.id)


def _staff_refused(world: World, staff: Principal, document_id: str) -> None:
    with pytest.raises(NotFound):
        world.documents().admin_get(staff, document_id, CTX)
    with pytest.raises(NotFound):
        world.documents().admin_download_url(staff, document_id, CTX)


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.ADMIN])
def test_staff_never_see_a_document_that_was_never_submitted(world: World, role: Role) -> None:
    owner = world.account()
    document = world.upload(owner)
    _staff_refused(world, world.account(role), document.id)
    assert world.events(AuditEventType.DOCUMENT_VIEWED) == []


@pytest.mark.parametrize(
    "decision", [Decision.APPROVE, Decision.REJECT, Decision.REQUEST_RESUBMISSION]
)
def test_staff_lose_sight_of_a_document_once_its_review_is_decided(
    world: World, decision: Decision
) -> None:
    reviewer = world.account(Role.REVIEWER)
    _, document, verification = submitted(world)
    world.documents().admin_get(reviewer, document.id, CTX)
    reason = None if decision is Decision.APPROVE else ReasonCode.DOCUMENT_UNREADABLE
    world.reviews().decide(reviewer, verification.id, decision, reason, None, CTX)
    _staff_refused(world, reviewer, document.id)


def test_a_document_deleted_by_its_owner_is_gone_for_staff(world: World) -> None:
    reviewer = world.account(Role.REVIEWER)
    owner = world.account()
    document = world.upload(owner, DocumentKind.OTHER)
    world.documents().delete(owner, document.id, CTX)
    _staff_refused(world, reviewer, document.id)


def test_an_older_version_outside_the_submission_is_not_shown(world: World) -> None:
    reviewer = world.account(Role.REVIEWER)
    owner = world.account()
    old = world.upload(owner, DocumentKind.PASSPORT)
    world.upload(owner, DocumentKind.PASSPORT)  # the submission covers this newer version
    world.upload(owner, DocumentKind.POLICE_CLEARANCE, files.pdf())
    world.reviews().submit(owner, CTX)
    _staff_refused(world, reviewer, old.id)


def test_admins_but_not_reviewers_see_a_held_document_after_the_decision(world: World) -> None:
    admin, reviewer = world.account(Role.ADMIN), world.account(Role.REVIEWER)
    _, document, verification = submitted(world)
    world.reviews().decide(admin, verification.id, Decision.APPROVE, None, None, CTX)
    with world.db() as uow:
        row = uow.documents.get(document.id)
        assert row is not None
        row.legal_hold = True
        uow.documents.save(row)
        uow.commit()
    _staff_refused(world, reviewer, document.id)
    world.documents().admin_download_url(admin, document.id, CTX)
    (event,) = world.events(AuditEventType.DOCUMENT_URL_ISSUED)
    assert (event.details["basis"], event.details["verification_id"]) == (
        "legal_hold",
        verification.id,
    )


@pytest.mark.parametrize("role", [Role.WORKER, Role.EMPLOYER])
def test_admin_routes_say_not_found_to_non_staff_even_the_owner(world: World, role: Role) -> None:
    owner = world.account(role)
    document = world.upload(owner)
    with pytest.raises(NotFound):
        world.documents().admin_download_url(owner, document.id, CTX)
    with pytest.raises(NotFound):
        world.documents().admin_get(owner, document.id, CTX)
    assert world.events(AuditEventType.DOCUMENT_URL_ISSUED) == []


def test_owner_deletes_and_the_purge_is_scheduled(world: World) -> None:
    owner = world.account()
    document = world.upload(owner)
    world.documents().delete(owner, document.id, CTX)
    row = world.stored(document.id)
    assert (row.status, row.deleted_at, row.delete_after) == (
        DocumentStatus.DELETED,
        world.clock.now(),
        world.clock.now(),
    )
    assert row.storage_key in world.storage.objects  # the purge job removes the object
    assert world.documents().list(owner) == []
    assert len(world.events(AuditEventType.DOCUMENT_DELETED)) == 1


def test_a_deleted_document_is_gone_for_its_owner(world: World) -> None:
    owner = world.account()
    document = world.upload(owner)
    world.documents().delete(owner, document.id, CTX)
    with pytest.raises(NotFound):
        world.documents().download_url(owner, document.id, CTX)
    with pytest.raises(NotFound):
        world.documents().delete(owner, document.id, CTX)


def test_delete_is_refused_while_the_document_is_under_review(world: World) -> None:
    owner = world.account(Role.EMPLOYER)
    document = world.upload(owner, DocumentKind.ID_CARD)
    world.reviews().submit(owner, CTX)
    with pytest.raises(Conflict, match="under review"):
        world.documents().delete(owner, document.id, CTX)
    assert world.stored(document.id).status is DocumentStatus.ACTIVE


def test_a_version_under_review_cannot_be_replaced_until_decided(world: World) -> None:
    owner = world.account(Role.EMPLOYER)
    world.upload(owner, DocumentKind.ID_CARD)
    world.reviews().submit(owner, CTX)
    with pytest.raises(Conflict, match="under review"):
        world.upload(owner, DocumentKind.ID_CARD, files.jpeg())
    assert len(world.storage.objects) == 1
    assert world.upload(owner, DocumentKind.PROOF_OF_ADDRESS).version == 1


def test_what_is_stored_is_the_sanitizers_output_never_the_original(world: World) -> None:
    world.sanitizer.marker = b"clean:"
    owner = world.account()
    document = world.upload(owner, DocumentKind.ID_CARD, files.jpeg())
    assert document.storage_key is not None
    stored = world.storage.objects[document.storage_key].data
    assert stored == b"clean:" + files.jpeg()
    assert (document.size, document.sha256) == (len(stored), hashlib.sha256(stored).hexdigest())
    assert world.sanitizer.seen == ["image/jpeg"]


@pytest.mark.parametrize(
    ("data", "declared", "refusal", "reason", "detected"),
    [
        (files.SVG, "image/svg+xml", UnsupportedMediaType, "unsupported-type", "application/xml"),
        (files.HTML, "text/html\x00<b>", UnsupportedMediaType, "unsupported-type", "text/html"),
        (b"", "", UnprocessableDocument, "empty", "unknown"),
    ],
)
def test_a_refused_upload_is_audited_without_its_content(  # noqa: PLR0917 - one per column
    world: World,
    data: bytes,
    declared: str,
    refusal: type[Exception],
    reason: str,
    detected: str,
) -> None:
    owner = world.account()
    with pytest.raises(refusal):
        world.documents().upload(
            owner, DocumentKind.OTHER, io.BytesIO(data), CTX, declared_type=declared
        )
    (event,) = world.events(AuditEventType.DOCUMENT_REJECTED)
    assert (event.outcome, event.account_id, event.actor_id) == (
        "refused",
        owner.account_id,
        owner.account_id,
    )
    assert event.details == {
        "kind": "other",
        "reason": reason,
        "size": str(len(data)),
        "declared_type": "".join(c for c in declared if c.isprintable()) or "none",
        "detected_type": detected,
    }
    assert world.storage.objects == {}


def test_a_parser_refusal_is_audited_with_its_reason(world: World) -> None:
    world.sanitizer.refusal = ActiveContent("scripts", reason="active-content")
    owner = world.account()
    with pytest.raises(ActiveContent):
        world.documents().upload(
            owner,
            DocumentKind.PASSPORT,
            io.BytesIO(files.pdf()),
            CTX,
            declared_type="application/pdf",
        )
    (event,) = world.events(AuditEventType.DOCUMENT_REJECTED)
    assert event.details["reason"] == "active-content"
    assert event.details["detected_type"] == "application/pdf"
    assert event.details["size"] == str(len(files.pdf()))
    assert world.storage.objects == {}
    assert world.events(AuditEventType.DOCUMENT_UPLOADED) == []


def test_an_upload_over_the_cap_is_audited_without_reading_on(world: World) -> None:
    owner = world.account()
    service = world.documents(max_size=1000)
    with pytest.raises(PayloadTooLarge):
        service.upload(owner, DocumentKind.OTHER, io.BytesIO(files.pdf(filler=5000)), CTX)
    (event,) = world.events(AuditEventType.DOCUMENT_REJECTED)
    assert (event.details["reason"], event.details["size"]) == ("too-large", ">1000")
    assert world.sanitizer.seen == []
