"""Backup drill over SQLite and MariaDB: dump, restore, compare, verify, retain."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from sqlalchemy import Engine, create_engine, event, select, text, update

from domestyx.adapters.memory.storage import InMemoryDocumentStorage
from domestyx.adapters.sql import tables as t
from domestyx.adapters.sql.backup import (
    BackupError,
    BackupManifest,
    compare,
    create_backup,
    latest_manifest,
    restore_backup,
    verify_backup,
)
from domestyx.adapters.sql.engine import create_database_engine, normalize_url
from domestyx.adapters.sql.migrate import head_revision, upgrade
from tests.support.services import MARIADB_URL, scratch_mariadb_database

NOW = datetime(2026, 11, 25, 3, 0, 0, 123456, tzinfo=UTC)
EMAIL = "maria.worker@example.org"
MARIA, JOAO = uuid.uuid4().hex, uuid.uuid4().hex
PASSPORT_KEY = f"documents/{MARIA}/{uuid.uuid4().hex}"
ID_CARD_KEY = f"documents/{MARIA}/{uuid.uuid4().hex}"


@contextmanager
def _database(kind: str, folder: Path, name: str) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{folder / name}.db"
        return
    with scratch_mariadb_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "mariadb"])
def kind(request: pytest.FixtureRequest) -> str:
    """Every test runs on both backends."""
    return str(request.param)


@pytest.fixture
def source_url(kind: str, tmp_path: Path) -> Iterator[str]:
    """A migrated, seeded source database."""
    with _database(kind, tmp_path, "source") as url:
        engine = create_database_engine(url)
        upgrade(engine)
        _seed(engine)
        engine.dispose()
        yield url


@pytest.fixture
def source(source_url: str) -> Iterator[Engine]:
    """The app engine on the source."""
    engine = create_database_engine(source_url)
    yield engine
    engine.dispose()


@pytest.fixture
def target(kind: str, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of the same kind to restore into."""
    with _database(kind, tmp_path, "target") as url:
        engine = create_database_engine(url)
        yield engine
        engine.dispose()


@pytest.fixture
def scratch_root(tmp_path: Path) -> Path:
    """A private work directory, so a test can see whether a SQLite scratch copy was left behind."""
    root = tmp_path / "temp-root"
    root.mkdir()
    return root


@pytest.fixture
def storage() -> InMemoryDocumentStorage:
    """The bucket, holding both live document objects."""
    bucket = InMemoryDocumentStorage()
    for key in (PASSPORT_KEY, ID_CARD_KEY):
        bucket.put(key, io.BytesIO(b"%PDF-1.7 scan"), size=13, content_type="application/pdf")
    return bucket


def test_backup_then_verify_passes(
    source: Engine, source_url: str, storage: InMemoryDocumentStorage
) -> None:
    manifest = create_backup(source, storage, now=NOW)
    report = verify_backup(source_url, storage)
    assert report.ok, str(report)
    assert report.backup_key == manifest.key
    assert "accounts: rows 2 checksum ok" in report.lines
    assert {c.table for c in report.tables} == set(t.metadata.tables)
    assert manifest.tables["documents"].rows == 3


def test_restore_reproduces_every_row(
    source: Engine, target: Engine, storage: InMemoryDocumentStorage
) -> None:
    manifest = create_backup(source, storage, now=NOW)
    assert restore_backup(storage, manifest.key, target) == head_revision()
    for table in t.metadata.sorted_tables:
        assert _rows(target, table.name) == _rows(source, table.name), table.name


def test_tampered_row_fails_compare_naming_that_table(
    source: Engine, target: Engine, storage: InMemoryDocumentStorage
) -> None:
    manifest = create_backup(source, storage, now=NOW)
    restore_backup(storage, manifest.key, target)
    assert all(check.ok for check in compare(manifest, target))
    with target.begin() as conn:
        conn.execute(update(t.accounts).where(t.accounts.c.id == JOAO).values(status="banned"))
    failed = [check for check in compare(manifest, target) if not check.ok]
    assert [(c.table, c.rows, c.checksum_ok) for c in failed] == [("accounts", 2, False)]
    assert failed[0].line == "accounts: rows 2 (manifest 2) checksum MISMATCH"


def test_missing_document_object_fails_verify_naming_the_key(
    source: Engine, source_url: str, storage: InMemoryDocumentStorage
) -> None:
    create_backup(source, storage, now=NOW)
    storage.delete(ID_CARD_KEY)
    report = verify_backup(source_url, storage)
    assert not report.ok
    assert report.missing_objects == (ID_CARD_KEY,)
    assert f"missing object: {ID_CARD_KEY}" in report.lines
    assert all(check.ok for check in report.tables)


def test_altered_dump_is_caught_before_restoring(
    source: Engine, source_url: str, storage: InMemoryDocumentStorage
) -> None:
    manifest = create_backup(source, storage, now=NOW)
    dump = storage.read(manifest.key)
    flipped = dump[:40] + bytes([dump[40] ^ 0xFF]) + dump[41:]
    storage.put(manifest.key, io.BytesIO(flipped), size=len(dump), content_type="application/gzip")
    report = verify_backup(source_url, storage)
    assert not report.ok
    assert report.problems == (f"{manifest.key}: sha256 MISMATCH",)


def test_missing_dump_fails_verify(
    source: Engine, source_url: str, storage: InMemoryDocumentStorage
) -> None:
    manifest = create_backup(source, storage, now=NOW)
    storage.delete(manifest.key)
    report = verify_backup(source_url, storage)
    assert not report.ok
    assert report.problems == (f"{manifest.key}: dump MISSING",)


def test_scratch_database_is_dropped_even_when_restore_fails(
    kind: str, source: Engine, source_url: str, storage: InMemoryDocumentStorage, scratch_root: Path
) -> None:
    manifest = create_backup(source, storage, now=NOW)
    tables = ["documents", "accounts"]  # children before parents
    header = {"kind": "backup", "format": 1, "revision": "0001", "tables": tables}
    _replace_dump(storage, manifest, gzip.compress(json.dumps(header).encode() + b"\n"))
    scratch = f"dx_restore_test_{uuid.uuid4().hex[:8]}"
    with pytest.raises(BackupError, match="foreign-key order"):
        verify_backup(source_url, storage, scratch_name=scratch, work_dir=scratch_root)
    assert not _scratch_left(kind, scratch, scratch_root)


def test_verify_leaves_no_scratch_database_behind(
    kind: str, source: Engine, source_url: str, storage: InMemoryDocumentStorage, scratch_root: Path
) -> None:
    create_backup(source, storage, now=NOW)
    scratch = f"dx_restore_test_{uuid.uuid4().hex[:8]}"
    assert verify_backup(source_url, storage, scratch_name=scratch, work_dir=scratch_root).ok
    assert not _scratch_left(kind, scratch, scratch_root)


def test_retention_keeps_only_the_newest(source: Engine, storage: InMemoryDocumentStorage) -> None:
    storage.put("backups/README.txt", io.BytesIO(b"x"), size=1, content_type="text/plain")
    made = [create_backup(source, storage, keep=3, now=NOW + timedelta(days=i)) for i in range(5)]
    kept = sorted(o.key for o in storage.list("backups/"))
    expected = sorted(
        [m.key for m in made[2:]] + [m.manifest_key for m in made[2:]] + ["backups/README.txt"]
    )
    assert kept == expected
    assert latest_manifest(storage) == made[-1]


def test_dump_is_gzip_and_the_manifest_holds_no_row_data(
    source: Engine, storage: InMemoryDocumentStorage
) -> None:
    manifest = create_backup(source, storage, now=NOW)
    dump = storage.read(manifest.key)
    assert dump[:2] == b"\x1f\x8b"
    assert (manifest.size, manifest.sha256) == (len(dump), hashlib.sha256(dump).hexdigest())
    lines = gzip.decompress(dump).decode().splitlines()
    assert json.loads(lines[0])["revision"] == head_revision()
    assert EMAIL in gzip.decompress(dump).decode()
    sidecar = storage.read(manifest.manifest_key)
    assert BackupManifest.from_json(sidecar) == manifest
    assert not any(secret.encode() in sidecar for secret in (EMAIL, MARIA, JOAO, PASSPORT_KEY))
    assert manifest.key == "backups/20261125T030000Z.jsonl.gz"


def test_snapshot_ignores_writes_made_during_the_dump(
    source: Engine, source_url: str, storage: InMemoryDocumentStorage
) -> None:
    written: list[str] = []

    def write_midway(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        # Accounts are already dumped; add an account and its document before documents are.
        if not written and "FROM documents" in statement:
            written.append(uuid.uuid4().hex)
            with source.begin() as writer:
                writer.execute(t.accounts.insert(), [_account(written[0], "late@example.org", 9)])
                writer.execute(t.documents.insert(), [_document(written[0], "other", None, 1)])

    event.listen(Engine, "before_cursor_execute", write_midway)
    try:
        manifest = create_backup(source, storage, now=NOW)
    finally:
        event.remove(Engine, "before_cursor_execute", write_midway)
    assert written
    assert (manifest.tables["accounts"].rows, manifest.tables["documents"].rows) == (2, 3)
    assert verify_backup(source_url, storage).ok


def test_restore_refuses_a_non_empty_target(
    source: Engine, target: Engine, storage: InMemoryDocumentStorage
) -> None:
    manifest = create_backup(source, storage, now=NOW)
    upgrade(target)
    with pytest.raises(BackupError, match="not empty"):
        restore_backup(storage, manifest.key, target)


def test_verify_without_any_backup_is_an_error(
    source_url: str, storage: InMemoryDocumentStorage
) -> None:
    with pytest.raises(BackupError, match="no backup"):
        verify_backup(source_url, storage)


def test_unmigrated_database_is_not_backed_up(tmp_path: Path) -> None:
    engine = create_database_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(BackupError, match="never been migrated"):
        create_backup(engine, InMemoryDocumentStorage(), now=NOW)
    engine.dispose()


def _replace_dump(storage: InMemoryDocumentStorage, manifest: BackupManifest, dump: bytes) -> None:
    """Swap the dump and make the manifest vouch for it, so only the restore can object."""
    storage.put(manifest.key, io.BytesIO(dump), size=len(dump), content_type="application/gzip")
    forged = attrs.evolve(manifest, size=len(dump), sha256=hashlib.sha256(dump).hexdigest())
    raw = forged.to_json()
    storage.put(
        manifest.manifest_key, io.BytesIO(raw), size=len(raw), content_type="application/json"
    )


def _scratch_left(kind: str, name: str, temp_root: Path) -> bool:
    if kind == "sqlite":
        return any(temp_root.iterdir())
    return _database_exists(name)


def _database_exists(name: str) -> bool:
    url, args = normalize_url(MARIADB_URL)
    admin = create_engine(url, connect_args=args)
    with admin.connect() as conn:
        found = conn.execute(text("SHOW DATABASES LIKE :name"), {"name": name}).all()
    admin.dispose()
    return bool(found)


def _rows(engine: Engine, name: str) -> list[tuple[Any, ...]]:
    table = t.metadata.tables[name]
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(table).order_by(*table.primary_key))]


def _account(account_id: str, email: str, n: int) -> dict[str, Any]:
    return {
        "id": account_id,
        "email": email,
        "phone": f"+44770090012{n}",
        "role": "worker",
        "status": "active",
        "password_hash": "$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA",
        "email_verified_at": NOW,
        "phone_verified_at": None,
        "identity_status": "none",
        "created_at": NOW - timedelta(days=n),
        "updated_at": None,
        "deleted_at": None,
    }


def _document(account_id: str, kind: str, key: str | None, version: int) -> dict[str, Any]:
    return {
        "id": uuid.uuid4().hex,
        "account_id": account_id,
        "kind": kind,
        "version": version,
        "storage_key": key,
        "content_type": "application/pdf",
        "size": 13,
        "sha256": hashlib.sha256(b"%PDF-1.7 scan").hexdigest(),
        "status": "active" if key else "purged",
        "uploaded_at": NOW,
        "delete_after": NOW + timedelta(days=365),
        "legal_hold": key == PASSPORT_KEY,
        "deleted_at": None,
        "purged_at": None if key else NOW,
    }


def _seed(engine: Engine) -> None:
    passport = _document(MARIA, "passport", PASSPORT_KEY, 1)
    verification, session = uuid.uuid4().hex, uuid.uuid4().hex
    with engine.begin() as conn:
        conn.execute(t.accounts.insert(), [_account(MARIA, EMAIL, 1), _account(JOAO, "j@x.org", 2)])
        conn.execute(
            t.sessions.insert(),
            [
                {
                    "id": session,
                    "account_id": MARIA,
                    "created_at": NOW,
                    "expires_at": NOW,
                    "user_agent": "Zoë's phone ✓",
                    "ip": "203.0.113.9",
                }
            ],
        )
        conn.execute(
            t.refresh_tokens.insert(),
            [
                {
                    "id": uuid.uuid4().hex,
                    "session_id": session,
                    "token_hash": "a" * 64,
                    "issued_at": NOW,
                    "expires_at": NOW + timedelta(days=30),
                }
            ],
        )
        conn.execute(
            t.deliveries.insert(),
            [
                {
                    "id": uuid.uuid4().hex,
                    "channel": "email",
                    "template": "otp",
                    "destination": EMAIL,
                    "account_id": MARIA,
                    "status": "sent",
                    "attempts": 1,
                    "created_at": NOW,
                    "expires_at": NOW + timedelta(minutes=10),
                }
            ],
        )
        conn.execute(
            t.documents.insert(),
            [
                passport,
                _document(MARIA, "id_card", ID_CARD_KEY, 1),
                _document(JOAO, "other", None, 1),
            ],
        )
        conn.execute(
            t.verifications.insert(),
            [
                {
                    "id": verification,
                    "account_id": MARIA,
                    "status": "in_review",
                    "submitted_at": NOW,
                }
            ],
        )
        conn.execute(
            t.verification_documents.insert(),
            [{"verification_id": verification, "document_id": passport["id"]}],
        )
        conn.execute(
            t.review_entries.insert(),
            [
                {
                    "id": uuid.uuid4().hex,
                    "verification_id": verification,
                    "from_status": "submitted",
                    "to_status": "in_review",
                    "actor_id": JOAO,
                    "at": NOW,
                    "note": "line1\nline2",
                }
            ],
        )
        conn.execute(
            t.audit_events.insert(),
            [
                {
                    "id": uuid.uuid4().hex,
                    "occurred_at": NOW,
                    "event": "login",
                    "outcome": "ok",
                    "account_id": MARIA,
                    "details": {"z": 1, "a": [True, None, 2.5], "ü": "ß"},
                },
                {
                    "id": uuid.uuid4().hex,
                    "occurred_at": NOW,
                    "event": "otp",
                    "outcome": "failed",
                    "account_id": None,
                    "details": {},
                },
            ],
        )
