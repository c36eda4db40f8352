"""The storage/database reconcile job: delete old objects without rows, tombstone lost rows."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import attrs

from domestyx.domain.model.audit import AuditEvent, AuditEventType
from domestyx.domain.model.documents import STORAGE_PREFIX, Document, account_of_key
from domestyx.domain.model.guarded_runs import DeleteLimit, Plan, Progress
from domestyx.domain.services.run_guard import Planner, in_batches, step

if TYPE_CHECKING:
    from domestyx.domain.model.storage import StoredObject
    from domestyx.domain.services.auditor import Auditor
    from domestyx.ports.clock import Clock
    from domestyx.ports.monitoring import ErrorReporter
    from domestyx.ports.repositories import UnitOfWork, UnitOfWorkFactory
    from domestyx.ports.storage import DocumentStorage

log = logging.getLogger("domestyx.retention")
ORPHANS = "orphaned objects"
MISSING = "rows whose object is missing"


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


def document_event(
    auditor: Auditor, event: AuditEventType, document: Document, reason: str
) -> AuditEvent:
    """The audit event of a document's deletion or purge."""
    return auditor.event(
        event,
        account_id=document.account_id,
        subject_id=document.id,
        kind=document.kind.value,
        version=str(document.version),
        reason=reason,
    )


@attrs.frozen
class Reconciler:
    """Plans and carries out one reconcile run (RetentionService runs it through its guard)."""

    uow: UnitOfWorkFactory
    storage: DocumentStorage
    clock: Clock
    auditor: Auditor
    reporter: ErrorReporter

    def planner(self, grace: timedelta) -> Planner[ReconcileReport]:
        """Read the bucket and the rows; the plan deletes old orphans, tombstones lost rows."""

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
            uow.audit.append(
                document_event(
                    self.auditor, AuditEventType.DOCUMENT_PURGED, document, "object_missing"
                )
            )
            uow.commit()
        self.reporter.capture_message(
            "document object missing from storage; row tombstoned",
            level="error",
            document_id=document.id,
            account_id=document.account_id,
        )
        return True
