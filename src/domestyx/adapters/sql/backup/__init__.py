"""Backups without mysqldump: a consistent gzip JSON-lines dump, restore, and a verify drill."""

from __future__ import annotations

from domestyx.adapters.sql.backup.dump import create_backup, latest_manifest
from domestyx.adapters.sql.backup.model import (
    DUMP_SUFFIX,
    FORMAT,
    MANIFEST_SUFFIX,
    BackupError,
    BackupManifest,
    TableCheck,
    TableSummary,
    VerifyReport,
)
from domestyx.adapters.sql.backup.restore import compare, restore_backup
from domestyx.adapters.sql.backup.verify import verify_backup

__all__ = [
    "DUMP_SUFFIX",
    "FORMAT",
    "MANIFEST_SUFFIX",
    "BackupError",
    "BackupManifest",
    "TableCheck",
    "TableSummary",
    "VerifyReport",
    "compare",
    "create_backup",
    "latest_manifest",
    "restore_backup",
    "verify_backup",
]
