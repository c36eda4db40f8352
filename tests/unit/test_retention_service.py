"""Purge, erasure and the storage/database reconcile job."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from domestyx.adapters.memory.storage import InMemoryDocumentStorage
from domestyx.domain.model.accounts import Role
from domestyx.domain.model.audit import AuditEventType
from domestyx.domain.model.bucket_marker import MARKER_KEY
from domestyx.domain.model.documents import Document, DocumentKind, DocumentStatus
from domestyx.domain.model.errors import Conflict, DependencyUnavailable, NotFound
from domestyx.domain.model.sessions import Principal
from domestyx.domain.services.retention import PurgeReport, ReconcileReport
from tests.support import files
from tests.unit.document_world import CTX, World

PAST_RETENTION = timedelta(days=731)  # passports are kept 730 days


@pytest.fixture
def world() -> World:
    world = World()
    world.migrate()  # the guarded runs refuse an unmarked bucket (tests/unit/test_guarded_runs.py)
    return world


def hold(world: World, document: Document) -> None:
    world.db.state.documents[document.id].legal_hold = True


def close_account(world: World, owner: Principal) -> None:
    with world.db() as uow:
        account = uow.accounts.get(owner.account_id)
        assert account is not None
        account.delete(world.clock.now())
        uow.accounts.save(account)
        uow.commit()


def assert_purged(world: World, document: Document) -> None:
    row = world.stored(document.id)
    assert (row.status, row.storage_key, row.sha256, row.size) == (
        DocumentStatus.PURGED,
        None,
        "",
        0,
    )
    assert row.purged_at == world.clock.now()
    assert document.storage_key not in world.storage.objects


def test_a_document_past_retention_is_erased_in_one_run(world: World) -> None:
    document = world.upload(world.account())
    world.clock.advance(PAST_RETENTION)
    assert world.retention().purge_due().report == PurgeReport(purged=1)
    assert_purged(world, document)
    (event,) = world.events(AuditEventType.DOCUMENT_PURGED)
    assert (event.subject_id, event.details["reason"]) == (document.id, "retention")


def test_a_second_run_changes_nothing(world: World) -> None:
    world.upload(world.account())
    world.clock.advance(PAST_RETENTION)
    world.retention().purge_due()
    state_after_first = (dict(world.db.state.documents), len(world.db.state.audit))
    assert world.retention().purge_due().report == PurgeReport()
    assert (dict(world.db.state.documents), len(world.db.state.audit)) == state_after_first


def test_documents_within_retention_stay(world: World) -> None:
    document = world.upload(world.account())
    world.clock.advance(timedelta(days=729))
    assert world.retention().purge_due().report == PurgeReport()
    assert world.stored(document.id).status is DocumentStatus.ACTIVE


def test_a_superseded_version_goes_after_the_replacement_grace(world: World) -> None:
    owner = world.account()
    old = world.upload(owner)
    new = world.upload(owner, data=files.jpeg())
    world.clock.advance(timedelta(days=31))
    assert world.retention().purge_due().report == PurgeReport(purged=1)
    assert_purged(world, old)
    assert world.stored(new.id).status is DocumentStatus.ACTIVE


def test_an_owner_deletion_is_erased_by_the_next_run(world: World) -> None:
    owner = world.account()
    document = world.upload(owner)
    world.documents().delete(owner, document.id, CTX)
    assert world.retention().purge_due().report == PurgeReport(purged=1)
    assert_purged(world, document)


def test_a_legal_hold_keeps_the_document(world: World) -> None:
    document = world.upload(world.account())
    hold(world, document)
    world.clock.advance(PAST_RETENTION)
    assert world.retention().purge_due().report == PurgeReport()
    assert world.stored(document.id).status is DocumentStatus.ACTIVE
    assert document.storage_key in world.storage.objects


class RefusingDeletes(InMemoryDocumentStorage):
    """The fake bucket, answering reads (the marker) but failing every delete while told to."""

    def __init__(self) -> None:
        super().__init__()
        self.deletes_fail = False

    def delete(self, key: str) -> None:
        if self.deletes_fail:
            raise DependencyUnavailable("document storage is unavailable", dependency="storage")
        super().delete(key)


def test_a_storage_failure_leaves_the_row_for_the_next_run() -> None:
    world = World(storage=RefusingDeletes())
    world.migrate()
    document = world.upload(world.account())
    world.clock.advance(PAST_RETENTION)
    world.storage.deletes_fail = True
    assert world.retention().purge_due().report == PurgeReport(failed=1)
    assert world.stored(document.id).status is DocumentStatus.ACTIVE
    assert world.reporter.messages[0][0] == "document purge failed"
    world.storage.deletes_fail = False
    assert world.retention().purge_due().report == PurgeReport(purged=1)
    assert_purged(world, document)


def test_an_unreachable_bucket_fails_the_run_before_anything_changes(world: World) -> None:
    document = world.upload(world.account())
    world.clock.advance(PAST_RETENTION)
    world.storage.down = True  # the marker cannot be read, so nothing may be deleted
    with pytest.raises(DependencyUnavailable):
        world.retention().purge_due()
    assert world.stored(document.id).status is DocumentStatus.ACTIVE


def test_a_lost_commit_after_the_object_went_is_finished_by_the_next_run(world: World) -> None:
    document = world.upload(world.account())
    world.clock.advance(PAST_RETENTION)
    world.db.fail_commits = True
    assert world.retention().purge_due().report == PurgeReport(failed=1)
    assert document.storage_key not in world.storage.objects
    world.db.fail_commits = False
    assert world.retention().purge_due().report == PurgeReport(purged=1)
    assert_purged(world, document)


def test_erasing_a_deleted_account_purges_everything_but_held_versions(world: World) -> None:
    owner = world.account()
    superseded = world.upload(owner)
    active = world.upload(owner, data=files.jpeg())
    deleted = world.upload(owner, DocumentKind.POLICE_CLEARANCE, files.pdf())
    world.documents().delete(owner, deleted.id, CTX)
    held = world.upload(owner, DocumentKind.ID_CARD)
    hold(world, held)
    close_account(world, owner)
    report = world.retention().erase_account(owner.account_id)
    assert report == PurgeReport(purged=3, held_skipped=1)
    for document in (superseded, active, deleted):
        assert_purged(world, document)
    kept = world.stored(held.id)
    assert (kept.status, kept.legal_hold) == (DocumentStatus.DELETED, True)
    assert kept.storage_key in world.storage.objects
    events = len(world.db.state.audit)
    assert world.retention().erase_account(owner.account_id) == PurgeReport(held_skipped=1)
    assert len(world.db.state.audit) == events  # a repeated erasure job records nothing new


def test_erasure_refuses_a_live_account(world: World) -> None:
    owner = world.account()
    document = world.upload(owner)
    with pytest.raises(Conflict):
        world.retention().erase_account(owner.account_id)
    with pytest.raises(NotFound):
        world.retention().erase_account("0" * 32)
    assert world.stored(document.id).status is DocumentStatus.ACTIVE


def test_reconcile_deletes_old_objects_without_rows_only(world: World) -> None:
    owner = world.account()
    known = world.upload(owner)
    for key in ("documents/x/old", "documents/x/young", "documents/x/unknown-age", "backups/a"):
        world.storage.put(key, io.BytesIO(b"orphan"), size=6, content_type="image/png")
    world.age_object("documents/x/old", timedelta(hours=2))
    world.age_object("documents/x/young", timedelta(minutes=10))
    world.age_object("backups/a", timedelta(days=9))
    assert known.storage_key is not None
    world.age_object(known.storage_key, timedelta(days=9))
    report = world.retention().reconcile(grace=timedelta(hours=1)).report
    assert report == ReconcileReport(orphan_objects_deleted=1)
    assert set(world.storage.objects) == {
        MARKER_KEY,
        known.storage_key,
        "documents/x/young",
        "documents/x/unknown-age",
        "backups/a",
    }


def test_reconcile_tombstones_and_reports_rows_whose_object_is_gone(world: World) -> None:
    owner = world.account()
    lost, kept = world.upload(owner), world.upload(owner, DocumentKind.ID_CARD)
    assert lost.storage_key is not None
    del world.storage.objects[lost.storage_key]
    assert world.retention().reconcile().report == ReconcileReport(missing_objects_tombstoned=1)
    assert world.stored(lost.id).status is DocumentStatus.PURGED
    assert world.stored(kept.id).status is DocumentStatus.ACTIVE
    _, level, context = world.reporter.messages[0]
    assert (level, context["document_id"]) == ("error", lost.id)
    (event,) = world.events(AuditEventType.DOCUMENT_PURGED)
    assert event.details["reason"] == "object_missing"
    assert world.retention().reconcile().report == ReconcileReport()


def test_reconcile_leaves_deleted_rows_awaiting_purge_alone(world: World) -> None:
    owner = world.account(Role.EMPLOYER)
    document = world.upload(owner)
    world.documents().delete(owner, document.id, CTX)
    assert document.storage_key is not None
    world.age_object(document.storage_key, timedelta(days=2))
    assert world.retention().reconcile().report == ReconcileReport()
    assert document.storage_key in world.storage.objects
