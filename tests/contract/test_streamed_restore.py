"""Restore and verify run in bounded memory: a dump several times larger than the allowed growth
is restored and verified from the local-directory bucket while tracemalloc watches the peak."""

from __future__ import annotations

import base64
import os
import tracemalloc
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, select

from domestyx.adapters.localfs.storage import LocalDirectoryDocumentStorage
from domestyx.adapters.sql import tables as t
from domestyx.adapters.sql.backup import (
    BackupManifest,
    create_backup,
    restore_backup,
    verify_backup,
)
from domestyx.adapters.sql.engine import create_database_engine
from domestyx.adapters.sql.migrate import upgrade

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
MiB = 1024 * 1024
ALLOWED_GROWTH = 8 * MiB  # what restore and verify may allocate on top of what they started with
ROWS = 9_000  # ~2.7 KiB of incompressible text each: a dump of ~20 MiB compressed


@pytest.fixture(scope="module")
def backup(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[str, LocalDirectoryDocumentStorage, BackupManifest]:
    """A SQLite source full of audit rows, dumped once into a local bucket."""
    folder = tmp_path_factory.mktemp("streamed")
    url = f"sqlite:///{folder / 'source.db'}"
    engine = create_database_engine(url)
    upgrade(engine)
    _seed(engine)
    storage = LocalDirectoryDocumentStorage(folder / "bucket", signing_key=b"k" * 32,
                                            base_url="http://app.test")  # fmt: skip
    manifest = create_backup(engine, storage, now=NOW)
    engine.dispose()
    return url, storage, manifest


def _seed(engine: Engine) -> None:
    rows = [
        {"id": uuid.uuid4().hex, "occurred_at": NOW, "event": "padding", "outcome": "ok",
         "details": {"pad": base64.b64encode(os.urandom(2048)).decode()}}
        for _ in range(ROWS)
    ]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(t.audit_events), rows)


def _peak_growth(run: Callable[[], object]) -> int:
    """Bytes allocated at the worst moment of `run`, above what was allocated before it."""
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - base


def test_the_dump_is_larger_than_the_allowed_growth(
    backup: tuple[str, LocalDirectoryDocumentStorage, BackupManifest],
) -> None:
    _, _, manifest = backup
    assert manifest.size > 2 * ALLOWED_GROWTH, manifest.size


def test_holding_the_dump_whole_would_break_the_bound(
    backup: tuple[str, LocalDirectoryDocumentStorage, BackupManifest],
) -> None:
    """The yardstick can fail: reading the dump whole (the old restore) exceeds it."""
    _, storage, manifest = backup
    assert _peak_growth(lambda: storage.read(manifest.key)) > ALLOWED_GROWTH


def test_restore_streams_in_bounded_memory(
    backup: tuple[str, LocalDirectoryDocumentStorage, BackupManifest], tmp_path: Path
) -> None:
    _, storage, manifest = backup
    target = create_database_engine(f"sqlite:///{tmp_path / 'target.db'}")
    target.connect().close()  # the engine's own setup is not the restore's growth
    growth = _peak_growth(lambda: restore_backup(storage, manifest.key, target))
    with target.connect() as conn:
        restored = conn.execute(select(func.count()).select_from(t.audit_events)).scalar_one()
    target.dispose()
    assert restored == ROWS
    assert growth < ALLOWED_GROWTH, f"peak growth {growth / MiB:.1f} MiB"


def test_verify_streams_in_bounded_memory(
    backup: tuple[str, LocalDirectoryDocumentStorage, BackupManifest], tmp_path: Path
) -> None:
    url, storage, _ = backup
    reports = []
    growth = _peak_growth(lambda: reports.append(verify_backup(url, storage, work_dir=tmp_path)))
    assert reports[0].ok, str(reports[0])
    assert growth < ALLOWED_GROWTH, f"peak growth {growth / MiB:.1f} MiB"
