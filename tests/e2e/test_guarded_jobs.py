"""`domestyx reconcile` / `purge-expired` on MariaDB + S3 (moto): the wrong bucket, the wrong
database, an empty bucket and a run above RECONCILE_MAX_DELETE are refused with nothing deleted;
--dry-run changes nothing; --force deletes; a run that deletes alerts Sentry (issue 15)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import pytest

from domestyx.adapters.s3.bucket import ensure_private_bucket
from domestyx.adapters.s3.client import make_client
from domestyx.domain.model.accounts import Account, Role
from domestyx.domain.model.bucket_marker import MARKER_KEY
from domestyx.domain.model.documents import (
    Document,
    DocumentKind,
    DocumentStatus,
    storage_key,
)
from domestyx.entrypoints.container import build_container
from domestyx.entrypoints.services import Services
from domestyx.entrypoints.settings import Settings
from tests.stubs.sentry_stub import SentryStub
from tests.support.moto import MOTO_ACCESS_KEY, MOTO_REGION, MOTO_SECRET_KEY
from tests.support.services import scratch_mariadb_database
from tests.support.stack import ROOT

pytestmark = pytest.mark.e2e
OLD = timedelta(hours=2)
PDF = b"%PDF-1.7"  # past reconcile's one-hour grace for objects without rows


@attrs.define
class Deployment:
    """One database and one bucket, driven through the CLI as an operator would."""

    env: dict[str, str]
    bucket: str
    _services: Services | None = None

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "domestyx.entrypoints.cli.main", *args],
            env={**self.env, **env}, cwd=ROOT, capture_output=True, text=True, timeout=120,
            check=False,
        )  # fmt: skip

    def pointed_at(self, other: Deployment, *, bucket: bool) -> Deployment:
        """This deployment with one wrong variable: the other's bucket (or its database)."""
        if bucket:
            changed = {"STORAGE_BUCKET_NAME": other.env["STORAGE_BUCKET_NAME"]}
        else:
            changed = {"DATABASE_URL": other.env["DATABASE_URL"]}
        return Deployment({**self.env, **changed}, other.bucket if bucket else self.bucket)

    @property
    def services(self) -> Services:
        """The composition root over the same variables, to seed and inspect."""
        if self._services is None:
            self._services = build_container(Settings.from_env(self.env))
        return self._services

    def seed(self, n: int, *, due: bool = False) -> list[str]:
        """`n` document rows of one account, each with its object; returns the keys."""
        services = self.services
        now = services.clock.now()
        account_id = uuid.uuid4().hex
        account = Account(
            id=account_id, email=f"{account_id}@example.com", phone="+447700900123",
            role=Role.WORKER, password_hash="not-a-hash", created_at=now,
        )  # fmt: skip
        keys = [storage_key(account_id, uuid.uuid4().hex) for _ in range(n)]
        with services.uow() as uow:
            uow.accounts.add(account)
            for version, key in enumerate(keys, start=1):
                uow.documents.add(_document(account_id, version, key, now, due=due))
            uow.commit()
        for key in keys:
            services.storage.put(
                key, io.BytesIO(b"%PDF-1.7"), size=8, content_type="application/pdf"
            )
        return keys

    def objects(self) -> list[str]:
        return sorted(o.key for o in self.services.storage.list(""))

    def rows(self) -> dict[str, tuple[DocumentStatus, str | None]]:
        with self.services.uow() as uow:
            keys = list(uow.documents.storage_keys())
            found = {}
            for key in keys:
                (doc,) = [d for d in uow.documents.all_for_account(key.split("/")[1])
                          if d.storage_key == key]  # fmt: skip
                found[doc.id] = (doc.status, doc.storage_key)
        return found

    def state(self) -> tuple[object, ...]:
        return self.objects(), self.rows()


def _document(account_id: str, version: int, key: str, now: datetime, *, due: bool) -> Document:
    return Document(
        id=uuid.uuid4().hex, account_id=account_id, kind=DocumentKind.PASSPORT, version=version,
        storage_key=key, content_type="application/pdf", size=8, sha256="0" * 64,
        uploaded_at=now, delete_after=now + timedelta(seconds=-1 if due else 86_400),
    )  # fmt: skip


def age(bucket: str, keys: list[str], by: timedelta = OLD) -> None:
    """Backdate objects in the moto server (it runs in this process); S3 has no such call."""
    from moto.backends import get_backend
    from moto.core import DEFAULT_ACCOUNT_ID

    stored = get_backend("s3")[DEFAULT_ACCOUNT_ID]["global"].buckets[bucket]
    past = datetime.now(UTC).replace(tzinfo=None) - by
    for key in keys:
        stored.keys[key].last_modified = past


def remove_objects(deployment: Deployment, keys: list[str]) -> None:
    for key in keys:
        deployment.services.storage.delete(key)


@pytest.fixture
def deployments(tmp_path: Path, s3_server: str) -> Iterator[list[Deployment]]:
    """Three deployments, each with its own scratch database and bucket, not yet migrated."""
    client = make_client(
        access_key=MOTO_ACCESS_KEY, secret_key=MOTO_SECRET_KEY, region=MOTO_REGION,
        endpoint_url=s3_server, timeout_s=5,
    )  # fmt: skip
    with ExitStack() as stack:
        made = []
        for n in range(3):
            bucket = f"dx-guard-{uuid.uuid4().hex[:12]}"
            ensure_private_bucket(
                bucket, access_key=MOTO_ACCESS_KEY, secret_key=MOTO_SECRET_KEY,
                region=MOTO_REGION, endpoint_url=s3_server,
            )  # fmt: skip
            stack.callback(_drop_bucket, client, bucket)
            url = stack.enter_context(scratch_mariadb_database())
            made.append(Deployment(_env(tmp_path / f"d{n}", url, s3_server, bucket), bucket))
        yield made
        for deployment in made:
            if deployment._services is not None:
                deployment._services.engine.dispose()


def _env(home: Path, db_url: str, endpoint: str, bucket: str) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    return {
        "PATH": os.environ["PATH"], "HOME": str(home), "DOMESTYX_ENV": "test",
        "DOMESTYX_VAR_DIR": str(home / "var"), "DATABASE_URL": db_url,
        "STORAGE_BUCKET_NAME": bucket, "STORAGE_ACCESS_KEY": MOTO_ACCESS_KEY,
        "STORAGE_SECRET_KEY": MOTO_SECRET_KEY, "STORAGE_REGION": MOTO_REGION,
        "STORAGE_ENDPOINT_URL": endpoint, "SECRET_KEY": "k" * 48, "LOG_FORMAT": "text",
        "NO_PROXY": "127.0.0.1,localhost",
    }  # fmt: skip


def _drop_bucket(client: object, bucket: str) -> None:
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):  # type: ignore[attr-defined]
        for item in page.get("Contents", ()):
            client.delete_object(Bucket=bucket, Key=item["Key"])  # type: ignore[attr-defined]
    client.delete_bucket(Bucket=bucket)  # type: ignore[attr-defined]


def migrated(deployment: Deployment) -> Deployment:
    result = deployment.run("migrate")
    assert result.returncode == 0, result.stderr
    assert "storage: bucket claimed for this database" in result.stdout
    return deployment


def assert_refused(result: subprocess.CompletedProcess[str], why: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    # One clear line (the others are log records of the alert and the heartbeat).
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("domestyx ")]
    assert "refused, nothing deleted" in line and why in line, line


JOBS = (("reconcile",), ("purge-expired",))


def test_the_wrong_bucket_is_refused_and_nothing_is_deleted(deployments: list[Deployment]) -> None:
    production, staging = migrated(deployments[0]), migrated(deployments[1])
    production.seed(12, due=True)
    staging_keys = staging.seed(5)
    age(staging.bucket, staging_keys)  # staging's objects are orphans to production's rows
    wrong = production.pointed_at(staging, bucket=True)
    before = (production.rows(), staging.state())
    for job in JOBS:
        for flags in ((), ("--force",)):
            assert_refused(wrong.run(*job, *flags), "the bucket belongs to database 'dx_test_")
    assert (production.rows(), staging.state()) == before
    dry = wrong.run("reconcile", "--dry-run")
    assert_refused(dry, "--force does not override this")


def test_the_wrong_database_is_refused_and_nothing_is_deleted(
    deployments: list[Deployment],
) -> None:
    production, other = migrated(deployments[0]), deployments[1]
    keys = production.seed(4)
    age(production.bucket, keys)
    wrong = production.pointed_at(other, bucket=False)  # DATABASE_URL of another database
    claim = wrong.run("migrate")  # the deploy's pre-deploy step stops here
    assert claim.returncode == 1 and "the bucket belongs to database" in claim.stderr
    before = production.state()
    for job in JOBS:
        assert_refused(wrong.run(*job, "--force"), "not this database")
    assert production.state() == before


def test_an_empty_bucket_is_refused_and_never_claimed(deployments: list[Deployment]) -> None:
    production, empty = migrated(deployments[0]), deployments[2]
    production.seed(3)
    wrong = production.pointed_at(empty, bucket=True)
    before = production.rows()
    for job in JOBS:
        assert_refused(wrong.run(*job, "--force"), "no marker")
    check = wrong.run("check")
    assert check.returncode == 1 and "is it the right bucket" in check.stdout
    assert wrong.run("migrate").returncode == 1
    assert MARKER_KEY not in empty.objects() and production.rows() == before
    assert not [key for key in empty.objects() if key.startswith("documents/")]


def test_over_the_limit_is_refused_dry_run_plans_and_force_deletes(
    deployments: list[Deployment],
) -> None:
    production = migrated(deployments[0])
    keys = production.seed(14)
    remove_objects(production, keys[:12])  # 12 rows lost their object: above 10 (or 1 %)
    before = production.state()
    assert_refused(production.run("reconcile"), "would delete 12 rows whose object is missing")
    assert production.state() == before

    dry = production.run("reconcile", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "rows whose object is missing: 12 of 14 (limit 10)  ABOVE THE LIMIT" in dry.stdout
    assert "a real run would refuse without --force (RECONCILE_MAX_DELETE=10,1%)" in dry.stdout
    planned = json.loads(production.run("reconcile", "--dry-run", "--json").stdout)
    assert planned["status"] == "planned" and planned["refusal"] is None
    assert [(s["count"], s["over_limit"]) for s in planned["plan"]] == [(0, False), (12, True)]
    assert production.state() == before

    forced = production.run("reconcile", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "reconcile: rows whose object is missing 12/12" in forced.stdout
    summary = "reconcile: 0 orphan objects deleted, 12 missing objects tombstoned, 0 failed"
    assert summary in forced.stdout
    statuses = [status for status, _ in production.rows().values()]
    assert len(statuses) == 2  # the 12 tombstoned rows no longer name a key


def test_a_raised_limit_lets_the_same_run_through(deployments: list[Deployment]) -> None:
    production = migrated(deployments[0])
    keys = production.seed(12, due=True)
    assert_refused(production.run("purge-expired"), "would delete 12 documents past retention")
    done = production.run("purge-expired", RECONCILE_MAX_DELETE="20")
    assert done.returncode == 0, done.stderr
    assert "purge-expired: 12 documents erased" in done.stdout
    assert not set(keys) & set(production.objects()) and production.rows() == {}


def test_a_run_that_deletes_alerts_sentry_and_a_quiet_one_does_not(
    deployments: list[Deployment],
) -> None:
    production = migrated(deployments[0])
    keys = production.seed(3, due=True)
    with SentryStub() as sentry:
        quiet = production.run("reconcile", SENTRY_DSN_BACKEND=sentry.dsn)
        assert quiet.returncode == 0, quiet.stderr
        purged = production.run("purge-expired", SENTRY_DSN_BACKEND=sentry.dsn)
        assert purged.returncode == 0, purged.stderr
        (event,) = sentry.wait_for(1)
    assert event["message"] == "purge deleted 3 item(s)" and event["level"] == "warning"
    assert event["tags"]["job"] == "purge" and event["tags"]["deleted"] == "3"
    assert MARKER_KEY in production.objects() and not set(keys) & set(production.objects())


def test_a_refusal_alerts_sentry(deployments: list[Deployment]) -> None:
    production = deployments[0]
    production.run("migrate")
    wrong = production.pointed_at(deployments[2], bucket=True)
    with SentryStub() as sentry:
        assert_refused(wrong.run("reconcile", SENTRY_DSN_BACKEND=sentry.dsn), "no marker")
        (event,) = sentry.wait_for(1)
    assert event["level"] == "error" and event["message"].startswith("reconcile refused: ")
