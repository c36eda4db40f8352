"""Operations from the CLI: monitors sync, worker and cron heartbeats, backup drill."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.stubs.betterstack_stub import BetterStackStub
from tests.support.services import wait_until
from tests.support.stack import ROOT, Stack, WorkerProcess

pytestmark = pytest.mark.e2e
TOKEN = "bs-team-token"


def domestyx(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "domestyx.entrypoints.cli.main", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def betterstack() -> Iterator[BetterStackStub]:
    with BetterStackStub(TOKEN) as stub:
        yield stub


@pytest.fixture
def ops_env(stack: Stack, betterstack: BetterStackStub) -> dict[str, str]:
    return {
        **stack.env,
        "BETTERSTACK_API_TOKEN": TOKEN,
        "BETTERSTACK_API_URL": betterstack.base_url,
        "PUBLIC_BASE_URL": "https://api.domestyx.test",
    }


def sync(env: dict[str, str]) -> dict[str, str]:
    result = domestyx(env, "monitors", "sync")
    assert result.returncode == 0, result.stderr
    return dict(
        line.split("=", 1)
        for line in result.stdout.splitlines()
        if line.startswith("HEARTBEAT_URL_")
    )


def test_monitors_sync_creates_then_changes_nothing_then_updates(
    ops_env: dict[str, str], betterstack: BetterStackStub
) -> None:
    dry = domestyx(ops_env, "monitors", "sync", "--dry-run")
    assert dry.returncode == 0 and "would create monitor 'DomestyX API ready'" in dry.stdout
    assert betterstack.writes == []

    urls = sync(ops_env)
    assert set(urls) == {
        "HEARTBEAT_URL_WORKER",
        "HEARTBEAT_URL_PURGE",
        "HEARTBEAT_URL_BACKUP",
        "HEARTBEAT_URL_RECONCILE",
    }
    monitors = {m["pronounceable_name"]: m for m in betterstack.resources["monitors"].values()}
    assert monitors["DomestyX API ready"]["url"] == "https://api.domestyx.test/health/ready"
    created = len(betterstack.writes)
    assert created == 6

    sync(ops_env)
    assert len(betterstack.writes) == created  # idempotent: nothing written

    changed = sync({**ops_env, "MONITOR_CHECK_FREQUENCY": "30"})
    assert changed == urls
    assert [m for m, _ in betterstack.writes[created:]] == ["PATCH", "PATCH"]
    assert {m["check_frequency"] for m in betterstack.resources["monitors"].values()} == {30}


def test_worker_pings_its_heartbeat_and_stops_when_it_dies(
    ops_env: dict[str, str], betterstack: BetterStackStub, tmp_path: Path
) -> None:
    urls = sync(ops_env)
    env = {**ops_env, **urls, "WORKER_HEARTBEAT_SECONDS": "1"}
    token = urls["HEARTBEAT_URL_WORKER"].rstrip("/").rsplit("/", 1)[-1]

    def pings() -> int:
        return len([p for p in betterstack.pings if p.token == token and not p.failed])

    worker = WorkerProcess(env, tmp_path / "worker.log").start()
    try:
        assert wait_until(lambda: pings() >= 2, timeout=20)
    finally:
        worker.kill()
    after_death = pings()
    import time

    time.sleep(3)
    assert pings() == after_death  # a dead worker stops pinging, so Better Stack alerts


def test_failing_cron_job_pings_fail_and_exits_non_zero(
    ops_env: dict[str, str], betterstack: BetterStackStub
) -> None:
    urls = sync(ops_env)
    broken = {**ops_env, **urls, "DATABASE_URL": "mysql://root@127.0.0.1:9/none"}
    result = domestyx(broken, "backup", "create")
    assert result.returncode == 1
    token = urls["HEARTBEAT_URL_BACKUP"].rstrip("/").rsplit("/", 1)[-1]
    assert [p.failed for p in betterstack.pings if p.token == token] == [True]
    purge = urls["HEARTBEAT_URL_PURGE"].rstrip("/").rsplit("/", 1)[-1]
    unmarked = domestyx({**ops_env, **urls}, "purge-expired")  # the bucket is not claimed yet
    assert unmarked.returncode == 1 and "refused, nothing deleted" in unmarked.stderr
    assert domestyx(ops_env, "migrate").returncode == 0  # claims the bucket for this database
    ok = domestyx({**ops_env, **urls}, "purge-expired")
    assert ok.returncode == 0, ok.stderr
    assert [p.failed for p in betterstack.pings if p.token == purge] == [True, False]


def test_backup_create_then_verify_passes_on_mariadb_and_s3(ops_env: dict[str, str]) -> None:
    created = domestyx(ops_env, "backup", "create")
    assert created.returncode == 0, created.stderr
    verified = domestyx(ops_env, "backup", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "accounts" in verified.stdout
