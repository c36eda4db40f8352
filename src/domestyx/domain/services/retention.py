"""Retention and erasure: purge due documents, erase closed accounts, reconcile bucket and rows."""

from __future__ import annotations

import enum
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

import attrs

from domestyx.domain.model.accounts import AccountStatus
from domestyx.domain.model.audit import AuditEventType
from domestyx.domain.model.documents import DocumentStatus
from domestyx.domain.model.errors import Conflict, NotFound
from domestyx.domain.model.guarded_runs import DeleteLimit, GuardedRun, Plan, PlannedStep, Progress
from domestyx.domain.services.auditor import Auditor
from domestyx.domain.services.reconcile import Reconciler, ReconcileReport, document_event
from domestyx.domain.services.run_guard import Planner, RunGuard, in_batches, step

if TYPE_CHECKING:
    from domestyx.ports.clock import Clock
    from domestyx.ports.monitoring import ErrorReporter
    from domestyx.ports.repositories import UnitOfWorkFactory
    from domestyx.ports.storage import DocumentStorage

__all__ = ["PurgeReport", "ReconcileReport", "RetentionService"]
log = logging.getLogger("domestyx.retention")
# The steps of the two guarded runs, as plans and progress lines name them.
DUE = "documents past retention"
PENDING = "unproven registrations"


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
    reconciler: Reconciler
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
            "reconcile", self.reconciler.planner(grace), ReconcileReport(), dry_run=dry_run,
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
                    uow.audit.append(
                        document_event(
                            self.auditor,
                            AuditEventType.DOCUMENT_DELETED,
                            document,
                            "account_erasure",
                        )
                    )
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
                uow.audit.append(
                    document_event(
                        self.auditor, AuditEventType.DOCUMENT_PURGED, document, "retention"
                    )
                )
                uow.commit()
        except Exception:
            log.exception("document purge failed", extra={"document_id": document_id})
            return _Outcome.FAILED
        return _Outcome.PURGED
