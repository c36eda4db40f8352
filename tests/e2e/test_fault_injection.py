"""Dependencies failing under a request: the documented status, nothing half-written, recovery."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import boto3
import pytest
from sqlalchemy import func, select

from domestyx.adapters.sql import tables as t
from tests.support import files
from tests.support.app import (
    DUMMY_TOKEN,
    PASSWORD,
    bearer,
    build_services,
    embedded_settings,
    http_client,
    register_and_verify,
)
from tests.support.services import scratch_mariadb_database, wait_until
from tests.support.tcp_proxy import Mode, TcpProxy

pytestmark = pytest.mark.e2e


def count(services: Any, table: Any) -> int:
    with services.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


@pytest.fixture
def mariadb_behind_proxy() -> Iterator[tuple[str, TcpProxy]]:
    with scratch_mariadb_database() as url:
        parsed = urlparse(url)
        with TcpProxy(parsed.hostname or "127.0.0.1", parsed.port or 3306) as proxy:
            yield url.replace(f":{parsed.port or 3306}/", f":{proxy.port}/"), proxy


def test_database_unreachable_for_a_request_writes_nothing_and_recovers(
    tmp_path: Path, mariadb_behind_proxy: tuple[str, TcpProxy]
) -> None:
    url, proxy = mariadb_behind_proxy
    services = build_services(embedded_settings(tmp_path, DATABASE_URL=url))
    body = {"password": PASSWORD, "role": "worker", "turnstile_token": DUMMY_TOKEN}
    with http_client(services) as client:
        first = {**body, "email": "a@example.com", "phone": "+447700900101"}
        assert client.post("/api/v1/auth/register", json=first).status_code == 202
        before = {
            table.name: count(services, table)
            for table in (t.accounts, t.audit_events, t.deliveries)
        }

        proxy.set_mode(Mode.REFUSE)
        second = {**body, "email": "b@example.com", "phone": "+447700900102"}
        started = time.monotonic()
        refused = client.post("/api/v1/auth/register", json=second)
        assert refused.status_code == 503, refused.text
        assert refused.json()["dependency"] == "database" and time.monotonic() - started < 5
        time.sleep(1.1)  # readiness results are cached for a second
        ready = client.get("/health/ready")
        assert (
            ready.status_code == 503 and ready.json()["checks"]["database"]["status"] == "failing"
        )

        proxy.set_mode(Mode.PASS)
        after = {
            table.name: count(services, table)
            for table in (t.accounts, t.audit_events, t.deliveries)
        }
        assert after == before  # no partial writes from the refused request
        assert wait_until(lambda: client.get("/health/ready").status_code == 200, timeout=10)
        assert (
            client.post("/api/v1/auth/register", json=second).status_code == 202
        )  # no restart needed


@pytest.fixture
def s3_behind_proxy(s3_bucket: tuple[str, str]) -> Iterator[tuple[str, str, TcpProxy]]:
    endpoint, bucket = s3_bucket
    parsed = urlparse(endpoint)
    with TcpProxy(parsed.hostname or "127.0.0.1", parsed.port or 80) as proxy:
        yield f"http://127.0.0.1:{proxy.port}", bucket, proxy


def test_storage_down_during_upload_leaves_no_row_and_reconcile_removes_the_orphan(
    tmp_path: Path, s3_behind_proxy: tuple[str, str, TcpProxy], s3_bucket: tuple[str, str]
) -> None:
    endpoint, bucket, proxy = s3_behind_proxy
    settings = embedded_settings(
        tmp_path,
        STORAGE_BUCKET_NAME=bucket,
        STORAGE_ACCESS_KEY="testing",
        STORAGE_SECRET_KEY="testing",
        STORAGE_REGION="us-east-1",
        STORAGE_ENDPOINT_URL=endpoint,
        STORAGE_TIMEOUT_SECONDS="2",
    )
    services = build_services(settings)
    direct = boto3.client(
        "s3",
        endpoint_url=s3_bucket[0],
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )

    def objects() -> list[str]:
        return [
            o["Key"]
            for o in direct.list_objects_v2(Bucket=bucket).get("Contents", [])
            if o["Key"].startswith("documents/")
        ]

    with http_client(services) as client:
        auth = bearer(register_and_verify(client, services, "ann@example.com", "+447700900123"))
        upload = {
            "data": {"kind": "passport"},
            "files": {"file": ("p.png", files.png(), "image/png")},
        }

        proxy.set_mode(Mode.REFUSE)  # the bucket is unreachable
        refused = client.post("/api/v1/documents", headers=auth, **upload)
        assert refused.status_code == 503 and refused.json()["dependency"] == "storage"
        assert count(services, t.documents) == 0 and objects() == []

        proxy.set_mode(Mode.CUT_AFTER_ANSWER)  # S3 stores the object, then the line dies
        crashed = client.post("/api/v1/documents", headers=auth, **upload)
        assert crashed.status_code == 503
        assert count(services, t.documents) == 0
        assert len(objects()) == 1  # stored, unrecorded, and the clean-up could not reach S3

        proxy.set_mode(Mode.PASS)
        report = services.retention.reconcile(grace=timedelta(0)).report
        assert report.orphan_objects_deleted == 1 and report.missing_objects_tombstoned == 0
        assert objects() == []
        assert client.post("/api/v1/documents", headers=auth, **upload).status_code == 201
