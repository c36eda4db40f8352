"""A local S3-compatible server (moto): one per test session, a fresh private bucket per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from domestyx.adapters.s3.bucket import ensure_private_bucket
from domestyx.adapters.s3.client import make_client
from tests.support.services import unavailable

MOTO_REGION = "us-east-1"  # moto refuses CreateBucket without a location in R2's "auto" region
MOTO_ACCESS_KEY = "testing"
MOTO_SECRET_KEY = "testing"


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """The endpoint URL of a moto server on a free loopback port, stopped after the session."""
    try:
        # Imported here: moto pulls in flask and friends, and its absence must skip, not crash.
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        unavailable("moto server", f"moto[server] is not installed: {exc}")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_bucket(s3_server: str) -> Iterator[tuple[str, str]]:
    """A fresh private bucket: (endpoint_url, bucket); emptied and removed afterwards."""
    bucket = f"dx-test-{uuid.uuid4().hex[:12]}"
    ensure_private_bucket(
        bucket, access_key=MOTO_ACCESS_KEY, secret_key=MOTO_SECRET_KEY,
        region=MOTO_REGION, endpoint_url=s3_server,
    )  # fmt: skip
    yield s3_server, bucket
    client = make_client(
        access_key=MOTO_ACCESS_KEY, secret_key=MOTO_SECRET_KEY, region=MOTO_REGION,
        endpoint_url=s3_server, timeout_s=5,
    )  # fmt: skip
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", ()):
            client.delete_object(Bucket=bucket, Key=item["Key"])
    client.delete_bucket(Bucket=bucket)
