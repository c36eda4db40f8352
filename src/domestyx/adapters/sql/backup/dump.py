"""Backups without mysqldump: a consistent gzip JSON-lines dump, restore, and a verify drill."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import re
import secrets
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import attrs
from sqlalchemy import Column, Connection, Engine, Table, create_engine, insert, inspect, select
from sqlalchemy import text as sql
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

from domestyx.adapters.sql.engine import create_database_engine
from domestyx.adapters.sql.migrate import upgrade
from domestyx.adapters.sql.tables import documents, metadata
from domestyx.domain.errors import NotFound
from domestyx.ports.storage import DocumentStorage

FORMAT = 1
DUMP_SUFFIX = ".jsonl.gz"
MANIFEST_SUFFIX = ".manifest.json"
_BATCH = 500
_NAME = re.compile(r"^(?P<stamp>\d{8}T\d{6}Z)(?P<suffix>\.jsonl\.gz|\.manifest\.json)$")
# Database names and charsets are spliced into DDL, so only plain identifiers pass.
_IDENT = re.compile(r"^[A-Za-z0-9_]{1,64}$")
_PARSERS: tuple[tuple[type, Callable[[Any], object]], ...] = (
    (datetime, datetime.fromisoformat),  # before date: a datetime is a date
    (date, date.fromisoformat),
    (time, time.fromisoformat),
    (Decimal, Decimal),
    (bytes, base64.b64decode),
)


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


def create_backup(
    engine: Engine,
    storage: DocumentStorage,
    *,
    prefix: str = "backups/",
    keep: int = 14,
    now: datetime,
) -> BackupManifest:
    """Dump every table from one snapshot, upload dump then manifest, prune beyond `keep`."""
    if keep < 1 or now.tzinfo is None:
        raise ValueError("keep must be at least 1 and now must be timezone-aware")
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    key, manifest_key = f"{prefix}{stamp}{DUMP_SUFFIX}", f"{prefix}{stamp}{MANIFEST_SUFFIX}"
    if storage.head(key) is not None or storage.head(manifest_key) is not None:
        raise BackupError(f"a backup named {stamp} already exists")
    with tempfile.TemporaryFile(prefix="dx-backup-") as spool:
        revision, tables = _dump(engine, spool, now)
        size, digest = _file_digest(spool)
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


def restore_backup(storage: DocumentStorage, key: str, target_engine: Engine) -> str:
    """Migrate an empty database to the dump's revision and load its rows; returns the revision."""
    return _restore(storage.read(key), target_engine)


def compare(manifest: BackupManifest, engine: Engine) -> list[TableCheck]:
    """Recount and re-checksum each manifest table in `engine`."""
    checks: list[TableCheck] = []
    with _snapshot(engine) as conn:
        present = set(inspect(conn).get_table_names())
        for name, expected in manifest.tables.items():
            table = metadata.tables.get(name)
            if table is None or name not in present:
                checks.append(TableCheck(name, expected.rows, 0, checksum_ok=False))
                continue
            actual = _scan(conn, table, None)
            ok = actual.checksum == expected.checksum
            checks.append(TableCheck(name, expected.rows, actual.rows, checksum_ok=ok))
    return checks


def verify_backup(
    source_engine_url: str,
    storage: DocumentStorage,
    *,
    scratch_name: str | None = None,
    prefix: str = "backups/",
    ca_file: str | None = None,
) -> VerifyReport:
    """Restore the newest backup into a scratch database, compare it, check document objects."""
    manifest = latest_manifest(storage, prefix)
    try:
        data = storage.read(manifest.key)
    except NotFound:
        return VerifyReport(manifest.key, problems=(f"{manifest.key}: dump MISSING",))
    if hashlib.sha256(data).hexdigest() != manifest.sha256:
        return VerifyReport(manifest.key, problems=(f"{manifest.key}: sha256 MISMATCH",))
    with _scratch_engine(source_engine_url, scratch_name, ca_file) as engine:
        _restore(data, engine)
        checks = compare(manifest, engine)
        missing = _missing_objects(engine, storage)
    return VerifyReport(manifest.key, tuple(checks), tuple(missing))


def _dump(engine: Engine, out: IO[bytes], now: datetime) -> tuple[str, dict[str, TableSummary]]:
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
        for table in metadata.sorted_tables:
            columns = [c.name for c in table.columns]
            gz.write(_canonical({"kind": "table", "name": table.name, "columns": columns}) + b"\n")
            tables[table.name] = _scan(conn, table, gz.write)
    return revision, tables


def _scan(conn: Connection, table: Table, sink: Callable[[bytes], object] | None) -> TableSummary:
    query = select(table).order_by(*table.primary_key.columns)
    digest, count, pending = hashlib.sha256(), 0, bytearray()
    for row in conn.execute(query, execution_options={"yield_per": _BATCH}):
        line = _canonical([_encode(value) for value in row]) + b"\n"
        digest.update(line)
        count += 1
        if sink is not None:
            pending += line
            if count % _BATCH == 0:
                sink(bytes(pending))
                pending.clear()
    if sink is not None and pending:
        sink(bytes(pending))
    return TableSummary(count, digest.hexdigest())


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


def _restore(data: bytes, engine: Engine) -> str:
    if inspect(engine).get_table_names():
        raise BackupError("the restore target is not empty")
    with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
        lines = io.TextIOWrapper(gz, encoding="utf-8")
        header = json.loads(next(lines))
        if header.get("kind") != "backup" or header.get("format") != FORMAT:
            raise BackupError("not a backup dump of a supported format")
        _check_order(header["tables"])
        upgrade(engine, header["revision"])
        with engine.begin() as conn:
            _load(conn, lines)
    return str(header["revision"])


def _check_order(names: list[str]) -> None:
    unknown = [name for name in names if name not in metadata.tables]
    if unknown:
        raise BackupError(f"the dump has tables this version does not know: {unknown}")
    if names != [t.name for t in metadata.sorted_tables if t.name in names]:
        raise BackupError("the dump's tables are not in foreign-key order")


def _load(conn: Connection, lines: Iterator[str]) -> None:
    table: Table | None = None
    columns: list[str] = []
    decoders: list[Callable[[object], object]] = []
    batch: list[dict[str, object]] = []
    for line in lines:
        record = json.loads(line)
        if isinstance(record, dict):  # the header of the next table
            _flush(conn, table, batch)
            table = metadata.tables[record["name"]]
            columns = list(record["columns"])
            decoders = [_decoder(table.c[name]) for name in columns]
            continue
        batch.append({c: d(v) for c, d, v in zip(columns, decoders, record, strict=True)})
        if len(batch) >= _BATCH:
            _flush(conn, table, batch)
    _flush(conn, table, batch)


def _flush(conn: Connection, table: Table | None, batch: list[dict[str, object]]) -> None:
    if table is not None and batch:
        conn.execute(insert(table), batch)
    batch.clear()


@contextmanager
def _scratch_engine(source_url: str, name: str | None, ca_file: str | None) -> Iterator[Engine]:
    """An empty database beside the source, dropped afterwards whatever happens."""
    url = make_url(source_url)
    if url.get_backend_name() == "sqlite":
        with tempfile.TemporaryDirectory(prefix="dx-restore-") as folder:
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


def _file_digest(spool: IO[bytes]) -> tuple[int, str]:
    spool.seek(0)
    digest, size = hashlib.sha256(), 0
    while chunk := spool.read(1 << 20):
        digest.update(chunk)
        size += len(chunk)
    spool.seek(0)
    return size, digest.hexdigest()


def _canonical(value: object) -> bytes:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.encode()


def _encode(value: object) -> object:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _decoder(column: Column[Any]) -> Callable[[object], object]:
    sql_type = column.type
    if isinstance(sql_type, TypeDecorator):
        sql_type = sql_type.impl_instance
    try:
        python_type = sql_type.python_type
    except NotImplementedError:
        python_type = object
    for kind, parse in _PARSERS:
        if issubclass(python_type, kind):
            return _nullable(parse)
    return _same


def _nullable(parse: Callable[[Any], object]) -> Callable[[object], object]:
    return lambda value: None if value is None else parse(value)


def _same(value: object) -> object:
    return value
