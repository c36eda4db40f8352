"""The records of a backup: its manifest, per-table summaries and the verify report."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime

import attrs

FORMAT = 1
DUMP_SUFFIX = ".jsonl.gz"
MANIFEST_SUFFIX = ".manifest.json"
_BATCH = 500
# progress(step, done, total): a table or phase, for a bar on an operator's terminal.
Progress = Callable[[str, int, int], None]


class BackupError(Exception):
    """A backup could not be made, found, read or restored."""


@attrs.frozen
class TableSummary:
    """Row count and sha256 over the canonical JSON lines of the rows in primary-key order."""

    rows: int
    checksum: str


@attrs.frozen
class BackupManifest:
    """The sidecar of a dump: where it is, what it holds; never any row data."""

    key: str
    manifest_key: str
    created_at: datetime
    revision: str
    dialect: str
    size: int
    sha256: str
    tables: Mapping[str, TableSummary]

    def to_json(self) -> bytes:
        """The sidecar file's bytes."""
        body = attrs.asdict(self)
        body["created_at"] = self.created_at.isoformat()
        return json.dumps({"format": FORMAT, **body}, indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> BackupManifest:
        """Parse a sidecar written by `to_json`."""
        body = json.loads(raw)
        if body.pop("format", None) != FORMAT:
            raise BackupError("unsupported backup manifest format")
        tables = {name: TableSummary(**t) for name, t in body.pop("tables").items()}
        created_at = datetime.fromisoformat(body.pop("created_at"))
        return cls(created_at=created_at, tables=tables, **body)

    def __str__(self) -> str:
        rows = sum(t.rows for t in self.tables.values())
        return f"{self.key}: {len(self.tables)} tables, {rows} rows, {self.size} bytes"


@attrs.frozen
class TableCheck:
    """One table of a restored copy against the manifest."""

    table: str
    expected_rows: int
    rows: int
    checksum_ok: bool

    @property
    def ok(self) -> bool:
        """Same count and same checksum."""
        return self.checksum_ok and self.rows == self.expected_rows

    @property
    def line(self) -> str:
        """`table: rows N checksum ok` or the mismatch."""
        if self.ok:
            return f"{self.table}: rows {self.rows} checksum ok"
        return f"{self.table}: rows {self.rows} (manifest {self.expected_rows}) checksum MISMATCH"


@attrs.frozen
class VerifyReport:
    """The outcome of a restore drill."""

    backup_key: str
    tables: tuple[TableCheck, ...] = ()
    missing_objects: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Every table matches, every document object exists, nothing else went wrong."""
        tables_ok = bool(self.tables) and all(t.ok for t in self.tables)
        return tables_ok and not self.missing_objects and not self.problems

    @property
    def lines(self) -> list[str]:
        """Human-readable report lines."""
        status = "ok" if self.ok else "FAILED"
        return [
            f"backup {self.backup_key}: {status}",
            *self.problems,
            *(check.line for check in self.tables),
            *(f"missing object: {key}" for key in self.missing_objects),
        ]

    def __str__(self) -> str:
        return "\n".join(self.lines)
