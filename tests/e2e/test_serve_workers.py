"""`domestyx serve --workers N` / WEB_CONCURRENCY: every core on MariaDB + Redis; not embedded."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
import pytest
from bench.seed import PASSWORD, Seeder

from domestyx.adapters.sql import migrate
from domestyx.adapters.system.signing_keys import generate_pem
from domestyx.entrypoints.settings import Settings
from tests.support.app import build_services
from tests.support.services import free_port, require_redis, scratch_mariadb_database, wait_until

pytestmark = pytest.mark.e2e
CHEAP = {"ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "1024"}


def _env(tmp_path: Path, **env: str) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DOMESTYX_VAR_DIR": str(tmp_path / "var"),
        "NO_PROXY": "127.0.0.1,localhost",
        **CHEAP,
        **env,
    }


def _serve(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "domestyx.entrypoints.cli.main", "serve", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.parametrize(
    ("args", "env"),
    [(["--workers", "2"], {}), ([], {"WEB_CONCURRENCY": "2"})],
    ids=["flag", "WEB_CONCURRENCY"],
)
def test_several_workers_on_the_embedded_default_are_refused_naming_what_is_missing(
    tmp_path: Path, args: list[str], env: dict[str, str]
) -> None:
    process = _serve(_env(tmp_path, **env), "--port", str(free_port()), *args)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 2
    assert "REDIS_URL" in output and "DATABASE_URL" in output and "Traceback" not in output


def test_zero_workers_are_refused(tmp_path: Path) -> None:
    process = _serve(_env(tmp_path), "--port", str(free_port()), "--workers", "0")
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 2 and "at least 1" in output


@pytest.fixture
def shared_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """Test mode on a scratch MariaDB database (migrated) and the test Redis database."""
    with scratch_mariadb_database() as database_url:
        env = _env(
            tmp_path,
            DOMESTYX_ENV="test",
            DATABASE_URL=database_url,
            REDIS_URL=require_redis(),
            SECRET_KEY="k" * 48,
            JWT_SIGNING_KEY=generate_pem(),
        )
        yield env


def test_two_workers_share_the_database_and_redis_and_both_answer(
    shared_env: dict[str, str],
) -> None:
    services = build_services(Settings.from_env(shared_env))
    migrate.upgrade(services.engine)
    seeder = Seeder(services, services.accounts.passwords.hash(PASSWORD))
    (account,) = seeder.accounts(1, "workers", email_verified=True, phone_verified=True)
    (pair,) = seeder.sessions([account], 1)
    services.engine.dispose()

    port = free_port()
    process = _serve(shared_env, "--host", "127.0.0.1", "--port", str(port), "--workers", "2")
    try:
        workers = _children(process, 2)
        base = f"http://127.0.0.1:{port}"
        assert wait_until(lambda: _ready(base), timeout=60), process.stdout
        bearer = {"Authorization": f"Bearer {pair.access_token}"}
        # Many connections at once: the kernel hands them to both processes, and each one
        # answers from the shared database with the same keys.
        clients = [httpx.Client(base_url=base, timeout=30) for _ in range(24)]
        try:
            with ThreadPoolExecutor(24) as pool:
                answers = list(pool.map(lambda c: c.get("/api/v1/me", headers=bearer), clients))
            assert {a.status_code for a in answers} == {200}
            assert {a.json()["id"] for a in answers} == {account.id}
            serving = [w for w in workers if _established(w, port)]
            assert len(serving) == 2, "both worker processes held client connections"
        finally:
            for client in clients:
                client.close()
    finally:
        process.terminate()
        process.wait(30)
    assert all(not w.is_running() or w.status() == psutil.STATUS_ZOMBIE for w in workers)


def _children(process: subprocess.Popen[str], n: int) -> list[psutil.Process]:
    parent = psutil.Process(process.pid)
    found: list[psutil.Process] = []

    def spawned() -> bool:
        found[:] = [c for c in parent.children() if "spawn_main" in " ".join(c.cmdline())]
        return len(found) == n

    assert wait_until(spawned, timeout=60), f"serve exited {process.poll()}"
    return found


def _ready(base: str) -> bool:
    try:
        return httpx.get(base + "/health/ready", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def _established(worker: psutil.Process, port: int) -> bool:
    return any(
        c.status == psutil.CONN_ESTABLISHED and c.laddr.port == port
        for c in worker.net_connections(kind="tcp")
    )
