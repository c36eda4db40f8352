"""Reconcile and purge-expired refuse the wrong bucket/database pair, stay within their delete
limit unless forced, plan without changing anything on a dry run, and alert when they delete."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

from domestyx.adapters.memory.randomness import SequentialIdGenerator
from domestyx.domain.model.bucket_marker import MARKER_KEY, BucketMarker, MarkerState
from domestyx.domain.model.documents import DocumentStatus
from domestyx.domain.model.guarded_runs import (
    BatchProgress,
    DeleteLimit,
    RefusalReason,
    RunStatus,
)
from domestyx.domain.services.retention import PurgeReport, ReconcileReport
from domestyx.entrypoints.settings import SettingsError
from tests.support.worlds import unit_settings
from tests.unit.document_world import World

PAST_RETENTION = timedelta(days=731)
OLD = timedelta(hours=2)


def migrated() -> World:
    world = World()
    world.migrate()
    return world


def orphans(world: World, n: int) -> list[str]:
    """`n` old objects no row knows about, as a wrong bucket (or a wrong database) shows them."""
    keys = [f"documents/{i:032x}/orphan" for i in range(n)]
    for key in keys:
        world.storage.put(key, io.BytesIO(b"x"), size=1, content_type="image/png")
        world.age_object(key, OLD)
    return keys


def snapshot(world: World) -> tuple[object, ...]:
    """Everything a run could change: objects, rows, audit events."""
    return (
        sorted(world.storage.objects),
        {d.id: (d.status, d.storage_key) for d in world.db.state.documents.values()},
        sorted(world.db.state.accounts),
        len(world.db.state.audit),
    )


def test_a_bucket_without_a_marker_is_refused_and_nothing_is_deleted() -> None:
    world = World()
    world.services.bucket.ensure_identity()  # migrated long ago, bucket never claimed
    orphans(world, 3)
    before = snapshot(world)
    run = world.retention().reconcile()
    assert run.status is RunStatus.REFUSED and run.refusal is not None
    assert run.refusal.reason is RefusalReason.MARKER and "no marker" in run.refusal.message
    assert snapshot(world) == before
    assert world.reporter.messages[-1][:2] == (f"reconcile refused: {run.refusal.message}", "error")


def test_a_database_that_was_never_migrated_is_refused() -> None:
    world = World()
    orphans(world, 1)
    before = snapshot(world)
    run = world.retention().purge_due(force=True)
    assert run.refused and run.marker is not None
    assert run.marker.state is MarkerState.NO_IDENTITY
    assert snapshot(world) == before


def test_the_wrong_bucket_belongs_to_another_database_and_force_does_not_help() -> None:
    production = migrated()
    production.upload(production.account())
    # Staging, with production's bucket in its STORAGE_* variables by mistake.
    staging = World(storage=production.storage, ids=SequentialIdGenerator())
    staging.ids.new_id()  # another database, another identity
    staging.services.bucket.ensure_identity()
    production.age_object(
        next(iter(k for k in production.storage.objects if "documents/" in k)), OLD
    )
    before = snapshot(production)
    for run in (
        staging.retention().reconcile(force=True),
        staging.retention().purge_due(force=True),
    ):
        assert run.refused and run.refusal is not None
        assert "belongs to database 'memory'" in run.refusal.message
    assert snapshot(production) == before


def test_a_marker_naming_another_database_is_refused_and_never_overwritten() -> None:
    world = World()
    world.services.bucket.ensure_identity()
    other = BucketMarker("f" * 32, "defaultdb", datetime(2026, 1, 1, tzinfo=UTC)).to_json()
    world.storage.create(MARKER_KEY, other, content_type="application/json")
    assert world.services.bucket.claim(only_if_empty=False).state is MarkerState.OTHER_DATABASE
    assert world.storage.read(MARKER_KEY) == other
    run = world.retention().reconcile(force=True)
    assert run.refused and "'defaultdb' (ffffffffffff)" in (
        run.refusal.message if run.refusal else ""
    )


def test_an_unreadable_marker_is_refused() -> None:
    world = migrated()
    world.storage.put(MARKER_KEY, io.BytesIO(b"{oops"), size=5, content_type="application/json")
    assert world.retention().reconcile().refused
    assert world.services.bucket.inspect().state is MarkerState.UNREADABLE


def test_an_empty_bucket_with_rows_is_refused_and_no_row_is_tombstoned() -> None:
    world = migrated()
    owner = world.account()
    documents = [world.upload(owner) for _ in range(3)]
    world.storage.objects.clear()  # an empty bucket: no marker, no objects
    before = snapshot(world)
    run = world.retention().reconcile(force=True)
    assert run.refused and run.marker is not None and run.marker.state is MarkerState.MISSING
    assert snapshot(world) == before
    assert all(world.stored(d.id).status is not DocumentStatus.PURGED for d in documents)


def uploads(world: World, n: int) -> list[str]:
    owner = world.account()
    return [world.upload(owner).id for _ in range(n)]


def test_an_emptied_bucket_that_kept_its_marker_is_over_the_limit() -> None:
    world = migrated()
    ids = uploads(world, 11)
    for key in [k for k in world.storage.objects if k.startswith("documents/")]:
        del world.storage.objects[key]
    before = snapshot(world)
    run = world.retention().reconcile()
    assert run.status is RunStatus.REFUSED and run.refusal is not None
    assert run.refusal.reason is RefusalReason.OVER_LIMIT
    assert run.refusal.message == "would delete 11 rows whose object is missing (limit 10)"
    assert snapshot(world) == before
    assert all(world.stored(i).status is not DocumentStatus.PURGED for i in ids)


def test_over_the_limit_is_refused_and_force_deletes_it_all() -> None:
    world = migrated()
    keys = orphans(world, 11)
    before = snapshot(world)
    refused = world.retention().reconcile()
    assert refused.refused and snapshot(world) == before
    assert [s.describe() for s in refused.plan.over_limit()] == [
        "orphaned objects: 11 of 11 (limit 10)"
    ]
    forced = world.retention().reconcile(force=True)
    assert forced.status is RunStatus.DONE
    assert forced.report == ReconcileReport(orphan_objects_deleted=11)
    assert not set(keys) & set(world.storage.objects)


def test_within_the_limit_runs_without_force() -> None:
    world = migrated()
    orphans(world, 10)
    run = world.retention().reconcile()
    assert run.status is RunStatus.DONE and run.report.orphan_objects_deleted == 10


def test_a_dry_run_plans_and_changes_nothing() -> None:
    world = migrated()
    orphans(world, 12)
    uploads(world, 2)
    before = snapshot(world)
    alerts = len(world.reporter.messages)
    run = world.retention().reconcile(dry_run=True)
    assert run.status is RunStatus.PLANNED and run.report == ReconcileReport()
    assert [s.describe() for s in run.plan.steps] == [
        "orphaned objects: 12 of 14 (limit 10)",
        "rows whose object is missing: 0 of 2 (limit 10)",
    ]
    assert snapshot(world) == before and len(world.reporter.messages) == alerts


def test_a_purge_dry_run_plans_and_changes_nothing() -> None:
    world = migrated()
    uploads(world, 3)
    world.clock.advance(PAST_RETENTION)
    before = snapshot(world)
    run = world.retention().purge_due(dry_run=True)
    assert run.status is RunStatus.PLANNED
    assert [s.describe() for s in run.plan.steps] == [
        "documents past retention: 3 of 3 (limit 10)",
        "unproven registrations: 0 (no limit)",
    ]
    assert snapshot(world) == before


def test_a_purge_over_the_limit_is_refused_until_forced() -> None:
    world = migrated()
    ids = uploads(world, 11)
    world.clock.advance(PAST_RETENTION)
    before = snapshot(world)
    refused = world.retention().purge_due()
    assert refused.refused and refused.refusal is not None
    assert refused.refusal.message == "would delete 11 documents past retention (limit 10)"
    assert snapshot(world) == before
    assert world.retention().purge_due(force=True).report == PurgeReport(purged=11)
    assert all(world.stored(i).status is DocumentStatus.PURGED for i in ids)


def test_a_run_that_deletes_alerts_once_and_one_that_deletes_nothing_does_not() -> None:
    world = migrated()
    orphans(world, 2)
    world.retention().reconcile()
    message, level, context = world.reporter.messages[-1]
    assert (message, level) == ("reconcile deleted 2 item(s)", "warning")
    assert (context["job"], context["deleted"], context["forced"]) == ("reconcile", "2", "False")
    alerts = len(world.reporter.messages)
    world.retention().reconcile()
    world.retention().purge_due()
    assert len(world.reporter.messages) == alerts


def test_progress_is_reported_after_each_batch() -> None:
    world = migrated()
    orphans(world, 150)
    seen: list[BatchProgress] = []
    world.retention().reconcile(force=True, progress=seen.append)
    assert seen == [
        BatchProgress("orphaned objects", 100, 150),
        BatchProgress("orphaned objects", 150, 150),
    ]


def test_the_limit_is_ten_or_one_percent_whichever_is_larger() -> None:
    limit = DeleteLimit()
    assert [limit.allowance(n) for n in (0, 500, 1000, 1999, 5000)] == [10, 10, 10, 19, 50]
    assert DeleteLimit.parse("25") == DeleteLimit(25, 0.0)
    assert DeleteLimit.parse("5%").allowance(1000) == 50
    assert DeleteLimit.parse(" 0 , 0.5% ") == DeleteLimit(0, 0.5)


@pytest.mark.parametrize("raw", ["lots", "10,20", "1%,2%", "150%", "-1", "10;1%", ""])
def test_a_malformed_limit_is_refused_at_start(raw: str) -> None:
    with pytest.raises(SettingsError, match="RECONCILE_MAX_DELETE"):
        unit_settings(RECONCILE_MAX_DELETE=raw or ",")


def test_the_setting_reaches_the_guard() -> None:
    world = World()
    services = world.rebuild(RECONCILE_MAX_DELETE="2")
    services.bucket.ensure_identity()
    services.bucket.claim(only_if_empty=False)
    orphans(world, 3)
    run = services.retention.reconcile()
    assert run.refused and run.refusal is not None and "(limit 2)" in run.refusal.message


def test_check_claims_only_an_empty_bucket_and_migrate_any_unmarked_one() -> None:
    world = World()
    world.services.bucket.ensure_identity()
    orphans(world, 1)
    declined = world.services.bucket.claim(only_if_empty=True)
    assert declined.state is MarkerState.MISSING and declined.has_documents
    assert MARKER_KEY not in world.storage.objects
    claimed = world.services.bucket.claim(only_if_empty=False)
    assert claimed.ok and claimed.claimed
    again = world.services.bucket.claim(only_if_empty=False)
    assert again.ok and not again.claimed


def test_check_claims_an_empty_bucket() -> None:
    world = World()
    world.services.bucket.ensure_identity()
    claimed = world.services.bucket.claim(only_if_empty=True)
    assert claimed.ok and claimed.claimed
    marker = BucketMarker.from_json(world.storage.read(MARKER_KEY))
    assert claimed.identity is not None and marker.names(claimed.identity)


def test_the_identity_is_created_once() -> None:
    world = World()
    first = world.services.bucket.ensure_identity()
    assert world.services.bucket.ensure_identity() == first


def test_an_empty_bucket_is_never_claimed_for_a_database_that_lists_documents() -> None:
    world = migrated()
    uploads(world, 2)
    world.storage.objects.clear()  # pointed at an empty bucket by mistake
    for only_if_empty in (True, False):
        check = world.services.bucket.claim(only_if_empty=only_if_empty)
        assert check.state is MarkerState.MISSING and check.rows_without_objects == 2
        assert "is it the right bucket" in check.describe()
    assert world.storage.objects == {}


def test_the_worker_jobs_go_through_the_same_guard() -> None:
    from dramatiq.brokers.stub import StubBroker

    from domestyx.domain.model.jobs import Job
    from domestyx.entrypoints.worker.jobs import ServiceRef, register_actors

    world = World()
    world.services.bucket.ensure_identity()  # never claimed: the jobs must refuse
    keys = orphans(world, 2)
    actors = register_actors(StubBroker(), ServiceRef(world.services))
    actors[Job.RECONCILE_STORAGE].fn()
    actors[Job.PURGE_DOCUMENTS].fn()
    assert set(keys) <= set(world.storage.objects)
    refused = [m for m, level, _ in world.reporter.messages if level == "error"]
    assert [m.split(":")[0] for m in refused] == ["reconcile refused", "purge refused"]
