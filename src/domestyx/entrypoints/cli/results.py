"""What the operator commands print: a readable summary, or JSON for scripts (--json)."""

from __future__ import annotations

import json
from typing import Any

import attrs

from domestyx.adapters.sql.backup import BackupManifest, TableCheck, VerifyReport
from domestyx.domain.services.retention import PurgeReport, ReconcileReport


@attrs.frozen
class Shown:
    """A result as a person and a script read it; `failure` set when the run did not pass."""

    summary: str
    data: dict[str, Any]
    failure: str | None = None

    def render(self, *, as_json: bool) -> str:
        """The JSON document or the summary lines."""
        if as_json:
            return json.dumps({"ok": self.failure is None, **self.data}, indent=2, default=str)
        return self.summary


def purge(report: PurgeReport) -> Shown:
    """purge-expired."""
    summary = (
        f"purge-expired: {_n(report.purged, 'document')} erased, "
        f"{report.held_skipped} kept under legal hold, {report.failed} failed; "
        f"{_n(report.pending_deleted, 'expired registration')} deleted"
    )
    return Shown(summary, attrs.asdict(report))


def reconcile(report: ReconcileReport) -> Shown:
    """reconcile."""
    summary = (
        f"reconcile: {_n(report.orphan_objects_deleted, 'orphan object')} deleted, "
        f"{_n(report.missing_objects_tombstoned, 'missing object')} tombstoned, "
        f"{report.failed} failed"
    )
    return Shown(summary, attrs.asdict(report))


def requeued(count: int, older_than_s: int) -> Shown:
    """requeue-deliveries."""
    waiting = _n(count, "delivery", "deliveries")
    summary = f"requeue-deliveries: {waiting} waiting over {older_than_s}s re-enqueued"
    return Shown(summary, {"requeued": count, "older_than_seconds": older_than_s})


def backup_created(manifest: BackupManifest) -> Shown:
    """backup create."""
    rows = sum(t.rows for t in manifest.tables.values())
    summary = (
        f"backup created: {manifest.key} ({_n(len(manifest.tables), 'table')}, "
        f"{_n(rows, 'row')}, {_size(manifest.size)}, revision {manifest.revision})"
    )
    data = json.loads(manifest.to_json())
    data.pop("format", None)
    return Shown(summary, data)


def backup_verified(report: VerifyReport) -> Shown:
    """backup verify; a mismatch is a failure naming its first problem."""
    data = {
        "backup_key": report.backup_key,
        "tables": [
            {
                "table": t.table,
                "rows": t.rows,
                "expected_rows": t.expected_rows,
                "checksum_ok": t.checksum_ok,
                "ok": t.ok,
            }
            for t in report.tables
        ],
        "missing_objects": list(report.missing_objects),
        "problems": list(report.problems),
    }
    if report.ok:
        return Shown(str(report), data)
    return Shown(str(report), data, failure=_first_problem(report))


def backup_restored(
    manifest: BackupManifest, revision: str, checks: list[TableCheck], target: str
) -> Shown:
    """backup restore: the dump loaded, each table compared with its manifest."""
    report = VerifyReport(manifest.key, tuple(checks))
    data = {
        "backup_key": manifest.key,
        "revision": revision,
        "target": target,
        "tables": backup_verified(report).data["tables"],
    }
    rows = sum(c.rows for c in checks)
    head = f"restored {manifest.key} (revision {revision}) into {target}: "
    if report.ok:
        return Shown(head + f"{_n(len(checks), 'table')}, {_n(rows, 'row')}, all match", data)
    lines = [head + "DIFFERS from its manifest", *(c.line for c in checks)]
    return Shown("\n".join(lines), data, failure=f"{manifest.key}: {_table_problem(report)}")


def _first_problem(report: VerifyReport) -> str:
    if report.problems:
        return report.problems[0]  # each names the dump already
    return f"{report.backup_key}: {_table_problem(report)}"


def _table_problem(report: VerifyReport) -> str:
    bad = [t.table for t in report.tables if not t.ok]
    if bad:
        return f"restored tables differ from the manifest: {', '.join(bad)}"
    if not report.tables:
        return "nothing was restored"
    return f"{_n(len(report.missing_objects), 'document object')} missing from storage"


def _n(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else plural or singular + 's'}"


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    scaled, unit = size / 1024, "KiB"
    for bigger in ("MiB", "GiB"):
        if scaled < 1024:
            break
        scaled, unit = scaled / 1024, bigger
    return f"{scaled:.1f} {unit}"
