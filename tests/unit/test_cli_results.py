"""Command results as people read them: summaries, JSON, and a failed drill naming its problem."""

from __future__ import annotations

import json

from domestyx.adapters.sql.backup import TableCheck, VerifyReport
from domestyx.domain.services.retention import PurgeReport, ReconcileReport
from domestyx.entrypoints.cli import results


def test_purge_and_reconcile_read_as_sentences() -> None:
    purge = results.purge(PurgeReport(purged=1, held_skipped=2, failed=0, pending_deleted=3))
    assert purge.summary == (
        "purge-expired: 1 document erased, 2 kept under legal hold, 0 failed; "
        "3 expired registrations deleted"
    )
    assert json.loads(purge.render(as_json=True)) == {
        "ok": True,
        "purged": 1,
        "held_skipped": 2,
        "failed": 0,
        "pending_deleted": 3,
    }
    fixed = results.reconcile(ReconcileReport(orphan_objects_deleted=1, failed=4))
    assert fixed.render(as_json=False) == (
        "reconcile: 1 orphan object deleted, 0 missing objects tombstoned, 4 failed"
    )


def test_a_verify_that_differs_fails_naming_the_tables_and_keeps_the_report() -> None:
    report = VerifyReport(
        "backups/x.jsonl.gz",
        (TableCheck("accounts", 3, 3, True), TableCheck("documents", 5, 4, False)),
    )
    shown = results.backup_verified(report)
    assert shown.failure == (
        "backups/x.jsonl.gz: restored tables differ from the manifest: documents"
    )
    assert "documents: rows 4 (manifest 5) checksum MISMATCH" in shown.summary
    document = json.loads(shown.render(as_json=True))
    assert document["ok"] is False
    assert [t["ok"] for t in document["tables"]] == [True, False]


def test_a_verify_missing_objects_or_with_a_problem_says_which() -> None:
    missing = VerifyReport("k", (TableCheck("accounts", 1, 1, True),), ("a/1", "a/2"))
    assert results.backup_verified(missing).failure == "k: 2 document objects missing from storage"
    broken = VerifyReport("k", problems=("k: sha256 MISMATCH",))
    assert results.backup_verified(broken).failure == "k: sha256 MISMATCH"
    assert (
        results.backup_verified(VerifyReport("k", (TableCheck("a", 0, 0, True),))).failure is None
    )
