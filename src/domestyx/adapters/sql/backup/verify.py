"""The restore drill: the newest backup restored into a scratch database and checked."""

from __future__ import annotations

import hashlib
import re
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy import text as sql
from sqlalchemy.engine import make_url

from domestyx.adapters.sql.backup.chunks import chunk_file
from domestyx.adapters.sql.backup.dump import latest_manifest
from domestyx.adapters.sql.backup.model import BackupError, Progress, VerifyReport
from domestyx.adapters.sql.backup.restore import _restore, compare
from domestyx.adapters.sql.engine import create_database_engine
from domestyx.adapters.sql.tables import documents
from domestyx.domain.model.errors import NotFound
from domestyx.ports.storage import DocumentStorage

# Database names and charsets are spliced into DDL, so only plain identifiers pass.
_IDENT = re.compile(r"^[A-Za-z0-9_]{1,64}$")


def verify_backup(
    source_engine_url: str,
    storage: DocumentStorage,
    *,
    scratch_name: str | None = None,
    prefix: str = "backups/",
    ca_file: str | None = None,
    work_dir: Path | None = None,
    progress: Progress | None = None,
) -> VerifyReport:
    """Restore the newest backup into a scratch database, compare it, check document objects.

    `progress(step, done, total)` hears of the download, the restore and each table compared.
    """
    tell = progress or (lambda step, done, total: None)
    manifest = latest_manifest(storage, prefix)
    total = len(manifest.tables)
    tell("download", 0, total)
    # Two streamed passes (checksum, then restore), so memory stays bounded by a chunk.
    try:
        digest = _sha256(storage.stream(manifest.key))
    except NotFound:
        return VerifyReport(manifest.key, problems=(f"{manifest.key}: dump MISSING",))
    if digest != manifest.sha256:
        return VerifyReport(manifest.key, problems=(f"{manifest.key}: sha256 MISMATCH",))
    with _scratch_engine(source_engine_url, scratch_name, ca_file, work_dir) as engine:
        tell("restore", 0, total)
        _restore(chunk_file(storage.stream(manifest.key)), engine, tell)
        checks = compare(manifest, engine, tell)
        tell("document objects", total, total)
        missing = _missing_objects(engine, storage)
    return VerifyReport(manifest.key, tuple(checks), tuple(missing))


def _sha256(chunks: Iterator[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def _scratch_engine(
    source_url: str, name: str | None, ca_file: str | None, work_dir: Path | None
) -> Iterator[Engine]:
    """An empty database beside the source (SQLite: under `work_dir`), dropped afterwards."""
    url = make_url(source_url)
    if url.get_backend_name() == "sqlite":
        with tempfile.TemporaryDirectory(prefix="dx-restore-", dir=work_dir) as folder:
            engine = create_database_engine(f"sqlite:///{Path(folder) / (name or 'restore')}.db")
            try:
                yield engine
            finally:
                engine.dispose()
        return
    name = name or f"dx_restore_{datetime.now(UTC):%Y%m%d%H%M%S}_{secrets.token_hex(3)}"
    if not _IDENT.match(name) or name == url.database:
        raise BackupError(f"unusable scratch database name {name!r}")
    admin = create_database_engine(source_url, ca_file=ca_file, pool_size=1)
    try:
        _ddl(admin, "CREATE DATABASE `{name}` CHARACTER SET {charset} COLLATE {collation}", name)
        scratch_url = url.set(database=name).render_as_string(hide_password=False)
        engine = create_database_engine(scratch_url, ca_file=ca_file, pool_size=2)
        try:
            yield engine
        finally:
            engine.dispose()
            _ddl(admin, "DROP DATABASE IF EXISTS `{name}`", name)
    finally:
        admin.dispose()


def _ddl(admin: Engine, template: str, name: str) -> None:
    with admin.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")
        # The scratch copy sorts strings like the source, so primary-key order matches.
        charset, collation = conn.execute(
            sql(
                "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME"
                " FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()"
            )
        ).one()
        if not (_IDENT.match(charset) and _IDENT.match(collation)):
            raise BackupError("unexpected character set on the source database")
        conn.exec_driver_sql(template.format(name=name, charset=charset, collation=collation))


def _missing_objects(engine: Engine, storage: DocumentStorage) -> list[str]:
    query = (
        select(documents.c.storage_key)
        .where(documents.c.storage_key.is_not(None))
        .order_by(documents.c.storage_key)
    )
    with engine.connect() as conn:
        keys = list(conn.execute(query).scalars())
    return [key for key in keys if storage.head(key) is None]
