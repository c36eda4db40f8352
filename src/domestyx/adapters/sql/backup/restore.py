"""Restoring a dump into an empty database and comparing a database with a manifest."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Callable, Iterator
from typing import IO

from sqlalchemy import Connection, Engine, Table, insert, inspect

from domestyx.adapters.sql.backup.chunks import chunk_file
from domestyx.adapters.sql.backup.codec import _decoder, _scan
from domestyx.adapters.sql.backup.dump import _snapshot
from domestyx.adapters.sql.backup.model import (
    _BATCH,
    FORMAT,
    BackupError,
    BackupManifest,
    Progress,
    TableCheck,
)
from domestyx.adapters.sql.migrate import upgrade
from domestyx.adapters.sql.tables import metadata
from domestyx.ports.storage import DocumentStorage


def restore_backup(
    storage: DocumentStorage, key: str, target_engine: Engine, progress: Progress | None = None
) -> str:
    """Migrate an empty database to the dump's revision and load its rows; returns the revision.

    The dump is streamed from storage and decompressed as it arrives: memory stays bounded by
    one chunk and one batch of rows, whatever the dump's size. `progress(step, done, total)`
    hears of each table as its rows start loading.
    """
    return _restore(chunk_file(storage.stream(key)), target_engine, progress)


def compare(
    manifest: BackupManifest, engine: Engine, progress: Progress | None = None
) -> list[TableCheck]:
    """Recount and re-checksum each manifest table in `engine`."""
    checks: list[TableCheck] = []
    with _snapshot(engine) as conn:
        present = set(inspect(conn).get_table_names())
        for done, (name, expected) in enumerate(manifest.tables.items()):
            if progress is not None:
                progress(f"compare {name}", done, len(manifest.tables))
            table = metadata.tables.get(name)
            if table is None or name not in present:
                checks.append(TableCheck(name, expected.rows, 0, checksum_ok=False))
                continue
            actual = _scan(conn, table, None)
            ok = actual.checksum == expected.checksum
            checks.append(TableCheck(name, expected.rows, actual.rows, checksum_ok=ok))
    return checks


def _restore(dump: IO[bytes], engine: Engine, progress: Progress | None = None) -> str:
    with dump:
        if inspect(engine).get_table_names():
            raise BackupError("the restore target is not empty")
        return _load_dump(dump, engine, progress)


def _load_dump(dump: IO[bytes], engine: Engine, progress: Progress | None) -> str:
    with gzip.GzipFile(fileobj=dump) as gz:
        lines = io.TextIOWrapper(gz, encoding="utf-8")
        header = json.loads(next(lines))
        if header.get("kind") != "backup" or header.get("format") != FORMAT:
            raise BackupError("not a backup dump of a supported format")
        _check_order(header["tables"])
        upgrade(engine, header["revision"])
        with engine.begin() as conn:
            _load(conn, lines, progress, len(header["tables"]))
    return str(header["revision"])


def _check_order(names: list[str]) -> None:
    unknown = [name for name in names if name not in metadata.tables]
    if unknown:
        raise BackupError(f"the dump has tables this version does not know: {unknown}")
    if names != [t.name for t in metadata.sorted_tables if t.name in names]:
        raise BackupError("the dump's tables are not in foreign-key order")


def _load(conn: Connection, lines: Iterator[str], progress: Progress | None, total: int) -> None:
    table: Table | None = None
    started = 0
    columns: list[str] = []
    decoders: list[Callable[[object], object]] = []
    batch: list[dict[str, object]] = []
    for line in lines:
        record = json.loads(line)
        if isinstance(record, dict):  # the header of the next table
            _flush(conn, table, batch)
            table = metadata.tables[record["name"]]
            if progress is not None:
                progress(f"restore {table.name}", started, total)
            started += 1
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
