"""Backup create and verify tell a progress callback of each table, for the operator's bar."""

from __future__ import annotations

from pathlib import Path

from domestyx.adapters.sql.backup import create_backup, verify_backup
from domestyx.adapters.sql.tables import metadata
from tests.support.app import build_services, embedded_settings


def test_create_and_verify_report_every_table_then_finish(tmp_path: Path) -> None:
    services = build_services(embedded_settings(tmp_path))
    steps: list[tuple[str, int, int]] = []
    tables = [t.name for t in metadata.sorted_tables]
    manifest = create_backup(
        services.engine,
        services.storage,
        now=services.clock.now(),
        progress=lambda step, done, total: steps.append((step, done, total)),
    )
    assert steps == [
        *((name, i, len(tables)) for i, name in enumerate(tables)),
        ("upload", len(tables), len(tables)),
    ]
    steps.clear()
    report = verify_backup(
        services.settings.database.url,
        services.storage,
        work_dir=tmp_path,
        progress=lambda step, done, total: steps.append((step, done, total)),
    )
    assert report.ok and report.backup_key == manifest.key
    compared = [s for s, _, _ in steps if s.startswith("compare ")]
    assert [s for s, _, _ in steps[:2]] == ["download", "restore"]
    assert sorted(compared) == sorted(f"compare {name}" for name in manifest.tables)
    assert steps[-1] == ("document objects", len(manifest.tables), len(manifest.tables))
