"""The bucket marker over real adapters: SQLite/MariaDB identities, local directory/S3 markers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from domestyx.adapters.localfs.storage import LocalDirectoryDocumentStorage
from domestyx.adapters.memory.randomness import SequentialIdGenerator
from domestyx.adapters.memory.storage import InMemoryDocumentStorage
from domestyx.adapters.memory.unit_of_work import InMemoryDatabase
from domestyx.adapters.s3.storage import S3DocumentStorage
from domestyx.adapters.sql import migrate
from domestyx.adapters.sql.engine import create_database_engine
from domestyx.adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from domestyx.domain.model.bucket_marker import MARKER_KEY, BucketMarker, MarkerState
from domestyx.domain.services.bucket_guard import BucketGuard
from domestyx.ports.randomness import IdGenerator
from domestyx.ports.repositories import UnitOfWorkFactory
from domestyx.ports.storage import DocumentStorage
from tests.support.moto import MOTO_ACCESS_KEY, MOTO_REGION, MOTO_SECRET_KEY
from tests.support.services import scratch_mariadb_database
from tests.support.worlds import Fakes, fake_services

PAIRS = ["memory+memory", "sqlite+localfs", "sqlite+s3", "mariadb+s3"]


def _database(kind: str, tmp_path: Path, name: str, stack: ExitStack) -> UnitOfWorkFactory:
    if kind == "memory":
        return InMemoryDatabase()
    url = (
        f"sqlite:///{tmp_path}/{name}.db"
        if kind == "sqlite"
        else stack.enter_context(scratch_mariadb_database())
    )
    engine = create_database_engine(url)
    stack.callback(engine.dispose)
    migrate.upgrade(engine)
    return SqlUnitOfWorkFactory(engine)


def _storage(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> DocumentStorage:
    if kind == "memory":
        return InMemoryDocumentStorage()
    if kind == "localfs":
        return LocalDirectoryDocumentStorage(
            tmp_path / "bucket", signing_key=b"k" * 32, base_url="http://app.test"
        )
    endpoint, bucket = request.getfixturevalue("s3_bucket")
    return S3DocumentStorage(
        bucket, access_key=MOTO_ACCESS_KEY, secret_key=MOTO_SECRET_KEY, region=MOTO_REGION,
        endpoint_url=endpoint,
    )  # fmt: skip


class Pair:
    """One bucket and a way to open guards of several databases onto it."""

    def __init__(self, db_kind: str, storage: DocumentStorage, tmp_path: Path, stack: ExitStack):
        self.db_kind, self.storage, self.tmp_path, self.stack = db_kind, storage, tmp_path, stack
        self._count = 0

    def guard(self, database: UnitOfWorkFactory | None = None) -> BucketGuard:
        """The composition root's guard over a (new, unless given) database and this bucket."""
        self._count += 1
        if database is None:
            database = _database(self.db_kind, self.tmp_path, f"db{self._count}", self.stack)
        ids = SequentialIdGenerator()
        for _ in range(self._count):  # each database draws a different identity
            ids.new_id()
        overrides = {UnitOfWorkFactory: database, DocumentStorage: self.storage, IdGenerator: ids}
        return fake_services(Fakes(), overrides).bucket


@pytest.fixture(params=PAIRS)
def pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Pair]:
    db_kind, storage_kind = request.param.split("+")
    with ExitStack() as stack:
        yield Pair(db_kind, _storage(storage_kind, request, tmp_path), tmp_path, stack)


class TestBucketMarkerContract:
    def test_migrate_claims_the_bucket_for_its_database(self, pair: Pair) -> None:
        guard = pair.guard()
        identity = guard.ensure_identity()
        check = guard.claim(only_if_empty=False)
        assert check.state is MarkerState.MATCHES and check.claimed
        marker = BucketMarker.from_json(pair.storage.read(MARKER_KEY))
        assert (marker.database_id, marker.database_name) == (identity.id, identity.name)
        assert guard.inspect().ok

    def test_another_database_sees_the_bucket_as_someone_elses(self, pair: Pair) -> None:
        first = pair.guard()
        first.ensure_identity()
        first.claim(only_if_empty=False)
        stored = pair.storage.read(MARKER_KEY)
        second = pair.guard()
        second.ensure_identity()
        check = second.claim(only_if_empty=False)
        assert check.state is MarkerState.OTHER_DATABASE and not check.claimed
        assert pair.storage.read(MARKER_KEY) == stored
        assert first.inspect().ok

    def test_the_identity_outlives_the_connection(self, pair: Pair) -> None:
        database = _database(pair.db_kind, pair.tmp_path, "kept", pair.stack)
        first = pair.guard(database).ensure_identity()
        again = pair.guard(database)
        assert again.ensure_identity() == first
        assert again.inspect().state is MarkerState.MISSING
