"""Retention and erasure: purge due documents, erase closed accounts, reconcile bucket and rows."""

from __future__ import annotations

import enum
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import attrs

from domestyx.domain.model.accounts import AccountStatus
from domestyx.domain.model.audit import AuditEventType
from domestyx.domain.model.documents import STORAGE_PREFIX, Document, DocumentStatus, account_of_key
from domestyx.domain.model.errors import Conflict, NotFound
from domestyx.domain.model.guarded_runs import DeleteLimit, GuardedRun, Plan, PlannedStep, Progress
from domestyx.domain.services.auditor import Auditor
from domestyx.domain.services.run_guard import Planner, RunGuard, in_batches, step

if TYPE_CHECKING:
    from domestyx.domain.model.storage import StoredObject
    from domestyx.ports.clock import Clock
    from domestyx.ports.monitoring import ErrorReporter
    from domestyx.ports.repositories import UnitOfWork, UnitOfWorkFactory
    from domestyx.ports.storage import DocumentStorage

log = logging.getLogger("domestyx.retention")
# The steps of the two guarded runs, as plans and progress lines name them.
DUE = "documents past retention"
PENDING = "unproven registrations"
ORPHANS = "orphaned objects"
MISSING = "rows whose object is missing"


class _Outcome(enum.Enum):
    PURGED = "purged"
    HELD = "held"
    SKIPPED = "skipped"
    FAILED = "failed"


@attrs.frozen
class PurgeReport:
    """What one purge run did.

    `held_skipped` counts legal holds met on the way: an erased account's held versions, or a
    hold placed after the due list was read (the due list itself never includes held ones).
    """

    purged: int = 0
    held_skipped: int = 0
    failed: int = 0
    pending_deleted: int = 0


@attrs.frozen
class ReconcileReport:
    """What one reconcile run repaired."""

    orphan_objects_deleted: int = 0
    missing_objects_tombstoned: int = 0
    failed: int = 0


def _by_key(uow: UnitOfWork, key: str) -> Document | None:
    """The live row holding a storage key, locked; keys name their account."""
    account_id = account_of_key(key)
    owned = uow.documents.all_for_account(account_id) if account_id else ()
    match = next((d for d in owned if d.storage_key == key), None)
    document = uow.documents.get(match.id, for_update=True) if match else None
    if document is None or document.storage_key != key:
        return None
    return document


def _older_than(stored: StoredObject, cutoff: datetime) -> bool:
    # An object of unknown age may be an upload whose row is about to be committed.
    return stored.last_modified is not None and stored.last_modified <= cutoff


@attrs.frozen
class RetentionService:
    """The daily purge, account erasure and the storage/database reconcile job.

    Purge and reconcile are guarded runs (see run_guard): they verify the bucket's marker before
    any delete, refuse above the delete limit without `force`, and only plan on `dry_run`.
    """

    uow: UnitOfWorkFactory
    storage: DocumentStorage
    clock: Clock
    auditor: Auditor
    reporter: ErrorReporter
    runs: RunGuard
    pending_ttl: timedelta = timedelta(hours=72)

    def purge_due(
        self,
        *,
        limit: int = 500,
        dry_run: bool = False,
        force: bool = False,
        progress: Progress | None = None,
    ) -> GuardedRun[PurgeReport]:
        """Erase up to `limit` documents past retention, then expired unproven registrations."""
        return self.runs.run(
            "purge", self._plan_purge(limit), PurgeReport(), dry_run=dry_run, force=force,
            progress=progress, deleted=lambda r: r.purged + r.pending_deleted,
        )  # fmt: skip

    def reconcile(
        self,
        *,
        grace: timedelta = timedelta(hours=1),
        dry_run: bool = False,
        force: bool = False,
        progress: Progress | None = None,
    ) -> GuardedRun[ReconcileReport]:
        """Delete old objects without rows; tombstone and report rows whose object is gone."""
        return self.runs.run(
            "reconcile", self._plan_reconcile(grace), ReconcileReport(), dry_run=dry_run,
            force=force, progress=progress,
            deleted=lambda r: r.orphan_objects_deleted + r.missing_objects_tombstoned,
        )  # fmt: skip

    def _plan_purge(self, limit: int) -> Planner[PurgeReport]:
        def planner(allowed: DeleteLimit) -> tuple[Plan, Callable[[Progress | None], PurgeReport]]:
            now = self.clock.now()
            with self.uow() as uow:
                due = [d.id for d in uow.documents.due_for_purge(now, limit)]
                stored = sum(1 for _ in uow.documents.storage_keys())
                expired = [
                    a.id for a in uow.accounts.unproven_before(now - self.pending_ttl, limit)
                ]
            # Unproven registrations are rows of this database only, on their own TTL: a spike of
            # abandoned sign-ups must not hold up the document purge, so they have no limit.
            plan = Plan((step(DUE, len(due), stored, allowed), PlannedStep(PENDING, len(expired))))

            def execute(progress: Progress | None) -> PurgeReport:
                report = self._purge_each(due, progress)
                pending = in_batches(PENDING, expired, self._delete_pending, progress)
                return attrs.evolve(report, pending_deleted=sum(pending))

            return plan, execute

        return planner

    def _plan_reconcile(self, grace: timedelta) -> Planner[ReconcileReport]:
        def planner(
            allowed: DeleteLimit,
        ) -> tuple[Plan, Callable[[Progress | None], ReconcileReport]]:
            with self.uow() as uow:
                known = set(uow.documents.storage_keys())
            cutoff = self.clock.now() - grace
            listed = list(self.storage.list(STORAGE_PREFIX))
            present = {stored.key for stored in listed}
            orphans = [s.key for s in listed if s.key not in known and _older_than(s, cutoff)]
            missing = sorted(known - present)
            plan = Plan(
                (
                    step(ORPHANS, len(orphans), len(listed), allowed),
                    step(MISSING, len(missing), len(known), allowed),
                )
            )

            def execute(progress: Progress | None) -> ReconcileReport:
                deleted = in_batches(ORPHANS, orphans, self._delete_orphan, progress)
                tombstoned = in_batches(MISSING, missing, self._tombstone_if_missing, progress)
                failed = deleted.count(False)
                if failed:
                    self.reporter.capture_message(
                        "reconcile could not delete orphaned objects",
                        level="warning",
                        count=str(failed),
                    )
                return ReconcileReport(deleted.count(True), sum(tombstoned), failed)

            return plan, execute

        return planner

    def _delete_pending(self, account_id: str) -> bool:
        """One transaction each, re-checked under lock: a proof may have landed meanwhile."""
        now = self.clock.now()
        try:
            with self.uow() as uow:
                account = uow.accounts.get(account_id, for_update=True)
                if account is None or not account.is_unproven_claim(now, self.pending_ttl):
                    return False
                uow.accounts.remove(account_id)
                uow.audit.append(
                    self.auditor.event(
                        AuditEventType.PENDING_EXPIRED, account_id=account_id, reason="ttl"
                    )
                )
                uow.commit()
        except Conflict:
            log.warning("expired registration still referenced", extra={"account_id": account_id})
            return False
        return True

    def erase_account(self, account_id: str) -> PurgeReport:
        """A deleted account's documents all become due and are purged now, except held ones.

        Not a guarded run: it deletes only the keys of one closed account's own rows.
        """
        now = self.clock.now()
        with self.uow() as uow:
            account = uow.accounts.get(account_id)
            if account is None:
                raise NotFound("no such account")
            if account.status is not AccountStatus.DELETED:
                raise Conflict("only the documents of a deleted account are erased")
            pending = [
                d
                for d in uow.documents.all_for_account(account_id)
                if d.status is not DocumentStatus.PURGED
            ]
            for document in pending:
                if document.schedule_erasure(now):
                    uow.documents.save(document)
                    self._audit(uow, AuditEventType.DOCUMENT_DELETED, document, "account_erasure")
            uow.commit()
        return self._purge_each([d.id for d in pending])

    def _purge_each(
        self, document_ids: Sequence[str], progress: Progress | None = None
    ) -> PurgeReport:
        outcomes = Counter(in_batches(DUE, document_ids, self._purge_one, progress))
        report = PurgeReport(
            purged=outcomes[_Outcome.PURGED],
            held_skipped=outcomes[_Outcome.HELD],
            failed=outcomes[_Outcome.FAILED],
        )
        if report.failed:
            # One alert per run, not one per document, when the bucket is down.
            self.reporter.capture_message(
                "document purge failed", level="warning", count=str(report.failed)
            )
        return report

    def _purge_one(self, document_id: str) -> _Outcome:
        """Object first, then the row: a crash in between is finished by the next run."""
        now = self.clock.now()
        try:
            with self.uow() as uow:
                document = uow.documents.get(document_id, for_update=True)
                if document is None or document.status is DocumentStatus.PURGED:
                    return _Outcome.SKIPPED
                if document.legal_hold:
                    return _Outcome.HELD
                if not document.is_due(now):
                    return _Outcome.SKIPPED
                if document.storage_key is not None:
                    self.storage.delete(document.storage_key)
                document.tombstone(now)
                uow.documents.save(document)
                self._audit(uow, AuditEventType.DOCUMENT_PURGED, document, "retention")
                uow.commit()
        except Exception:
            log.exception("document purge failed", extra={"document_id": document_id})
            return _Outcome.FAILED
        return _Outcome.PURGED

    def _delete_orphan(self, key: str) -> bool:
        try:
            self.storage.delete(key)
        except Exception:
            log.exception("could not delete an orphaned object", extra={"key": key})
            return False
        return True

    def _tombstone_if_missing(self, key: str) -> bool:
        now = self.clock.now()
        with self.uow() as uow:
            document = _by_key(uow, key)
            # Ask storage directly: a listing is only a snapshot and must not condemn a row.
            if document is None or self.storage.head(key) is not None:
                return False
            document.tombstone(now)
            uow.documents.save(document)
            self._audit(uow, AuditEventType.DOCUMENT_PURGED, document, "object_missing")
            uow.commit()
        self.reporter.capture_message(
            "document object missing from storage; row tombstoned",
            level="error",
            document_id=document.id,
            account_id=document.account_id,
        )
        return True

    def _audit(
        self, uow: UnitOfWork, event: AuditEventType, document: Document, reason: str
    ) -> None:
        uow.audit.append(
            self.auditor.event(
                event,
                account_id=document.account_id,
                subject_id=document.id,
                kind=document.kind.value,
                version=str(document.version),
                reason=reason,
            )
        )
