"""Fixtures for whole flows against real services."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.moto import s3_bucket, s3_server  # noqa: F401 - fixtures used by name
from tests.support.stack import Stack, WorkerProcess, real_stack


@pytest.fixture
def stack(tmp_path: Path, s3_bucket: tuple[str, str]) -> Iterator[Stack]:  # noqa: F811
    """MariaDB scratch database, flushed Redis, moto bucket and provider stubs."""
    with real_stack(tmp_path, s3_bucket) as running:
        yield running


@pytest.fixture
def worker(stack: Stack, tmp_path: Path) -> Iterator[WorkerProcess]:
    """A `domestyx worker` process on the stack's Redis broker."""
    with WorkerProcess(stack.env, tmp_path / "worker.log") as process:
        yield process


@pytest.fixture
def api(stack: Stack) -> Iterator[Any]:
    """The real app in-process (no embedded worker: jobs go through Redis)."""
    from tests.support.app import build_services, http_client

    services = build_services(stack.settings())
    with http_client(services, embedded_worker=False) as client:
        client.services = services  # type: ignore[attr-defined]
        yield client
