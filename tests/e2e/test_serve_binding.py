"""`domestyx serve` binds loopback on the embedded default, every interface behind $PORT."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from domestyx.entrypoints.settings import Settings
from tests.support.production_env import GOOD_PRODUCTION
from tests.support.services import free_port

EVERY_INTERFACE = "0.0.0.0"  # noqa: S104 - the address under test, not one we bind
# Startup cost only: an in-memory database and cheap argon2 parameters.
CHEAP = {"DATABASE_URL": "sqlite://", "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "1024"}


@pytest.mark.parametrize(
    ("env", "host"),
    [
        ({}, "127.0.0.1"),
        ({"DOMESTYX_ENV": "test"}, "127.0.0.1"),
        ({"PORT": "10000"}, EVERY_INTERFACE),  # Render sets PORT and routes to it from outside
        (GOOD_PRODUCTION, EVERY_INTERFACE),
    ],
)
def test_the_default_interface_follows_the_mode(env: dict[str, str], host: str) -> None:
    assert Settings.from_env(env).listen_host == host


def listening_on(tmp_path: Path, args: list[str], **env: str) -> set[str]:
    """The addresses a real `domestyx serve` process listens on."""
    environ = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), **CHEAP, **env}
    environ["DOMESTYX_VAR_DIR"] = str(tmp_path / "var")
    process = subprocess.Popen(
        [sys.executable, "-m", "domestyx.entrypoints.cli.main", "serve", *args],
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            sockets = psutil.Process(process.pid).net_connections(kind="tcp")
            found = {c.laddr.ip for c in sockets if c.status == psutil.CONN_LISTEN}
            if found:
                return found
            time.sleep(0.1)
        pytest.fail(f"serve never listened (exit {process.poll()})")
    finally:
        process.terminate()
        process.wait(15)


def test_embedded_default_listens_on_loopback_only(tmp_path: Path) -> None:
    assert listening_on(tmp_path, ["--port", str(free_port())]) == {"127.0.0.1"}


def test_port_from_the_platform_listens_on_every_interface(tmp_path: Path) -> None:
    assert listening_on(tmp_path, [], PORT=str(free_port())) == {EVERY_INTERFACE}


def test_host_flag_overrides_the_default(tmp_path: Path) -> None:
    args = ["--host", EVERY_INTERFACE, "--port", str(free_port())]
    assert listening_on(tmp_path, args) == {EVERY_INTERFACE}
    assert listening_on(tmp_path, ["--host", "127.0.0.1"], PORT=str(free_port())) == {"127.0.0.1"}
