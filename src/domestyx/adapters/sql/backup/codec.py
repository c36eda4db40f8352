"""Canonical JSON lines: value encoding and decoding, table checksums, file digests."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from typing import IO, Any

from sqlalchemy import Column, Connection, Table, select
from sqlalchemy.types import TypeDecorator

from domestyx.adapters.sql.backup.model import _BATCH, TableSummary

_PARSERS: tuple[tuple[type, Callable[[Any], object]], ...] = (
    (datetime, datetime.fromisoformat),  # before date: a datetime is a date
    (date, date.fromisoformat),
    (time, time.fromisoformat),
    (Decimal, Decimal),
    (bytes, base64.b64decode),
)


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
