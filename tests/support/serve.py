"""`domestyx serve` as a real process on a free loopback port, for tests over real sockets."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.services import free_port


@contextmanager
def app_server(var_dir: Path, env: dict[str, str]) -> Iterator[str]:
    """`domestyx serve` on a free port with the embedded defaults; yields the base URL."""
    port = free_port()
    full_env = {
        **os.environ,
        "DOMESTYX_ENV": "test",  # production rate limits unless the caller asks otherwise
        "DOMESTYX_VAR_DIR": str(var_dir),
        "PORT": str(port),  # also the base of the app-served download links
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "8192",
        **env,
    }
    log = (var_dir / "serve.log").open("wb")
    command = [str(Path(sys.executable).parent / "domestyx"), "serve"]
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_live(base, process, var_dir / "serve.log")
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        log.close()


def _wait_live(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"domestyx serve exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base}/health/live", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"domestyx serve did not come up:\n{log.read_text()[-3000:]}")
