"""Making backups: a consistent snapshot dumped to storage, listed, pruned beyond `keep`."""

from __future__ import annotations

import gzip
import io
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import IO

from sqlalchemy import Connection, Engine, create_engine, inspect
from sqlalchemy import text as sql
from sqlalchemy.pool import NullPool

from domestyx.adapters.sql.backup.codec import _canonical, _file_digest, _scan
from domestyx.adapters.sql.backup.model import (
    DUMP_SUFFIX,
    FORMAT,
    MANIFEST_SUFFIX,
    BackupError,
    BackupManifest,
    Progress,
    TableSummary,
)
from domestyx.adapters.sql.tables import metadata
from domestyx.ports.storage import DocumentStorage

_NAME = re.compile(r"^(?P<stamp>\d{8}T\d{6}Z)(?P<suffix>\.jsonl\.gz|\.manifest\.json)$")


def create_backup(
    engine: Engine,
    storage: DocumentStorage,
    *,
    prefix: str = "backups/",
    keep: int = 14,
    now: datetime,
    progress: Progress | None = None,
) -> BackupManifest:
    """Dump every table from one snapshot, upload dump then manifest, prune beyond `keep`.

    `progress(step, done, total)` hears of each table dumped, then the upload.
    """
    if keep < 1 or now.tzinfo is None:
        raise ValueError("keep must be at least 1 and now must be timezone-aware")
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    key, manifest_key = f"{prefix}{stamp}{DUMP_SUFFIX}", f"{prefix}{stamp}{MANIFEST_SUFFIX}"
    if storage.head(key) is not None or storage.head(manifest_key) is not None:
        raise BackupError(f"a backup named {stamp} already exists")
    with tempfile.TemporaryFile(prefix="dx-backup-") as spool:
        revision, tables = _dump(engine, spool, now, progress or _quiet)
        size, digest = _file_digest(spool)
        if progress is not None:
            progress("upload", len(tables), len(tables))
        storage.put(key, spool, size=size, content_type="application/gzip")
    manifest = BackupManifest(
        key, manifest_key, now, revision, _dialect(engine), size, digest, tables
    )
    # The manifest goes last: a dump without one is an unfinished backup.
    raw = manifest.to_json()
    storage.put(manifest_key, io.BytesIO(raw), size=len(raw), content_type="application/json")
    _prune(storage, prefix, keep)
    return manifest


def latest_manifest(storage: DocumentStorage, prefix: str = "backups/") -> BackupManifest:
    """The newest complete backup under `prefix`."""
    keys = sorted(k for k, _, suffix in _backup_keys(storage, prefix) if suffix == MANIFEST_SUFFIX)
    if not keys:
        raise BackupError(f"no backup under {prefix!r}")
    return BackupManifest.from_json(storage.read(keys[-1]))


def _quiet(step: str, done: int, total: int) -> None:
    """No one is watching."""


def _dump(
    engine: Engine, out: IO[bytes], now: datetime, progress: Progress
) -> tuple[str, dict[str, TableSummary]]:
    with _snapshot(engine) as conn, gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as gz:
        revision = _revision(conn)
        header = {
            "kind": "backup",
            "format": FORMAT,
            "created_at": now.isoformat(),
            "revision": revision,
            "dialect": _dialect(engine),
            "tables": [t.name for t in metadata.sorted_tables],
        }
        gz.write(_canonical(header) + b"\n")
        tables = {}
        every = metadata.sorted_tables
        for done, table in enumerate(every):
            progress(table.name, done, len(every))
            columns = [c.name for c in table.columns]
            gz.write(_canonical({"kind": "table", "name": table.name, "columns": columns}) + b"\n")
            tables[table.name] = _scan(conn, table, gz.write)
    return revision, tables


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """One read-only view of every table, however long the dump takes."""
    if engine.dialect.name in ("mysql", "mariadb"):
        with engine.connect() as conn:
            # Autocommit on the driver so our START TRANSACTION is the only transaction.
            conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            conn.exec_driver_sql("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
            try:
                yield conn
            finally:
                conn.exec_driver_sql("ROLLBACK")
        return
    database = engine.url.database or ""
    if engine.dialect.name != "sqlite" or database in ("", ":memory:"):
        with engine.connect() as conn, conn.begin():
            yield conn
        return
    # The app engine opens every transaction with BEGIN IMMEDIATE, which would lock writers
    # out for the whole dump; a plain deferred BEGIN on a private connection is a WAL snapshot.
    reader = create_engine(engine.url, poolclass=NullPool)
    try:
        with reader.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.exec_driver_sql("BEGIN")
            try:
                yield conn
            finally:
                conn.exec_driver_sql("ROLLBACK")
    finally:
        reader.dispose()


def _prune(storage: DocumentStorage, prefix: str, keep: int) -> None:
    by_stamp: dict[str, list[str]] = {}
    for key, stamp, _ in _backup_keys(storage, prefix):
        by_stamp.setdefault(stamp, []).append(key)
    finished = (s for s, keys in by_stamp.items() if any(k.endswith(MANIFEST_SUFFIX) for k in keys))
    complete = sorted(finished, reverse=True)
    if len(complete) <= keep:
        return
    oldest_kept = complete[keep - 1]
    # Older unfinished dumps go too; a newer one may be a backup still uploading.
    for stamp, keys in by_stamp.items():
        if stamp < oldest_kept:
            for key in keys:
                storage.delete(key)


def _backup_keys(storage: DocumentStorage, prefix: str) -> Iterator[tuple[str, str, str]]:
    """(key, stamp, suffix) of every dump and manifest; other objects under the prefix are left."""
    for stored in storage.list(prefix):
        match = _NAME.match(stored.key[len(prefix) :])
        if match is not None:
            yield stored.key, match["stamp"], match["suffix"]


def _revision(conn: Connection) -> str:
    if not inspect(conn).has_table("alembic_version"):
        raise BackupError("the database has never been migrated")
    revisions = list(conn.execute(sql("SELECT version_num FROM alembic_version")).scalars())
    if len(revisions) != 1:
        raise BackupError(f"expected one alembic revision, found {revisions}")
    return str(revisions[0])


def _dialect(engine: Engine) -> str:
    return "mariadb" if getattr(engine.dialect, "is_mariadb", False) else engine.dialect.name
